import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as ts from "typescript";
import { CONFIG_KEYS, configSchema, SECRET_CONFIG_KEYS } from "../../model/config";

const SOURCE = join(__dirname, "..", "..", "components", "platform-args.ts");

/** Each member of an exported interface of platform-args.ts, with its JSDoc text and `@default` tag as written. */
function members(name: string): { name: string; doc: string; defaultTag?: string }[] {
  const file = ts.createSourceFile(SOURCE, readFileSync(SOURCE, "utf8"), ts.ScriptTarget.ES2022, true);
  const found = file.statements.find(
    (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name,
  );
  if (!found) throw new Error(`platform-args.ts has no interface ${name}`);
  return found.members.map((m) => {
    const docs = ts.getJSDocCommentsAndTags(m).filter(ts.isJSDoc);
    const tag = docs.flatMap((d) => d.tags ?? []).find((t) => t.tagName.text === "default");
    const text = (c: ts.JSDoc["comment"]) => (typeof c === "string" ? c : (c ?? []).map((p) => p.text).join(""));
    return {
      name: (m.name as ts.Identifier).text,
      doc: docs
        .map((d) => text(d.comment))
        .join(" ")
        .trim(),
      defaultTag: tag ? text(tag.comment).trim() : undefined,
    };
  });
}

/** `"launch"`, `20`, `{} (the stage's limits)`: the JSON value a `@default` starts with. */
function leadingJson(text: string): unknown {
  for (let end = text.length; end > 0; end--) {
    try {
      return JSON.parse(text.slice(0, end));
    } catch {
      // shorter
    }
  }
  return undefined;
}

describe("OrionPlatform's settings (components/platform-args.ts)", () => {
  const settings = members("OrionSettings");
  const defaults = configSchema.parse({}) as Record<string, unknown>;

  it("has one field per orion: config key, and no other", () => {
    expect(settings.map((m) => m.name).sort()).toEqual([...CONFIG_KEYS].sort());
  });

  it("says what each field is and its default, in JSDoc", () => {
    for (const m of settings)
      expect({ field: m.name, documented: m.doc.length > 20, hasDefault: m.defaultTag !== undefined }).toEqual({
        field: m.name,
        documented: true,
        hasDefault: true,
      });
  });

  it("documents the defaults the config schema applies", () => {
    for (const [key, value] of Object.entries(defaults)) {
      const m = settings.find((s) => s.name === key)!;
      expect({ key, documented: leadingJson(m.defaultTag ?? "") }).toEqual({ key, documented: value });
    }
  });

  it("takes every secret of orion-infra in secrets, each documented", () => {
    const secrets = members("OrionSecrets");
    expect(secrets.map((m) => m.name).sort()).toEqual([...SECRET_CONFIG_KEYS].sort());
    for (const m of secrets)
      expect({ secret: m.name, documented: m.doc.length > 10 }).toEqual({ secret: m.name, documented: true });
  });
});

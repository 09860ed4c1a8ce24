import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { CONFIG_KEYS, parseConfig } from "../model/config";
import { ALL_GENERATED_DOCS as GENERATED_DOCS } from "../docgen/docs";

const ROOT = join(__dirname, "..");

describe("generated docs", () => {
  it.each(Object.keys(GENERATED_DOCS))("%s matches the model (run `npm run docs` after changing it)", async (file) => {
    expect(readFileSync(join(ROOT, file), "utf8")).toBe(await GENERATED_DOCS[file]());
  });
});

describe("Pulumi.yaml", () => {
  const project = parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8"));
  it("declares every orion:* key the program reads, and no other", () => {
    expect(Object.keys(project.config).sort()).toEqual([...CONFIG_KEYS].sort());
  });
  it("declares the same defaults as the config schema, so `pulumi up` and `npm run plan` agree", () => {
    const declared = Object.fromEntries(
      Object.entries<Record<string, unknown>>(project.config).map(([k, v]) => [
        k,
        "default" in v ? v.default : v.value,
      ]),
    );
    const fromYaml = parseConfig(declared);
    const fromSchema = parseConfig({});
    expect(fromYaml).toEqual(fromSchema);
  });

  it("gives every typed key a default and a description", () => {
    for (const [key, entry] of Object.entries<Record<string, unknown>>(project.config)) {
      if ("type" in entry)
        expect({ key, hasDefault: "default" in entry, hasDescription: typeof entry.description === "string" }).toEqual({
          key,
          hasDefault: true,
          hasDescription: true,
        });
      else expect({ key, value: entry.value }).toEqual({ key, value: {} });
    }
  });
});

describe("README", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  it("names every policy of the pack", async () => {
    const { POLICIES } = await import("../policies/rules");
    for (const p of POLICIES) expect(readme).toContain(`\`${p.name}\``);
  });
});

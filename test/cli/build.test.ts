import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./run";

const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));

function run(args: string[], cwd: string) {
  const result = spawnSync(process.execPath, args, { cwd, encoding: "utf8", timeout: 600_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/**
 * The package as npm would install it: package.json and the build (`npm run build`, here into a
 * temporary directory), with the repository's node_modules for its dependencies; and a consumer
 * project beside it whose node_modules holds only orion-infra and the packages its program imports.
 */
describe("the built package (npm run build)", () => {
  let work: string;
  let installed: string;
  let consumer: string;
  let build: { status: number | null; output: string };
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "orion-build-"));
    installed = join(work, "orion-infra");
    consumer = join(work, "staging");
    mkdirSync(installed);
    copyFileSync(join(ROOT, "package.json"), join(installed, "package.json"));
    symlinkSync(join(ROOT, "node_modules"), join(installed, "node_modules"));
    build = run([TSC, "-p", join(ROOT, "tsconfig.build.json"), "--outDir", join(installed, "dist")], ROOT);
    mkdirSync(join(consumer, "node_modules"), { recursive: true });
    symlinkSync(installed, join(consumer, "node_modules", "orion-infra"));
    for (const dir of ["@pulumi", "@types"])
      symlinkSync(join(ROOT, "node_modules", dir), join(consumer, "node_modules", dir));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("compiles to JavaScript and declarations where package.json's main, types and exports point, all inside its files", () => {
    expect(build).toEqual({ status: 0, output: "" });
    const entries = [pkg.main, pkg.types, pkg.exports["."].types, pkg.exports["."].default];
    for (const entry of entries)
      expect({ entry, exists: existsSync(join(installed, entry)) }).toEqual({ entry, exists: true });
    for (const entry of entries)
      expect(pkg.files.some((f: string) => entry.replace(/^\.\//, "").startsWith(f))).toBe(true);
    expect(pkg.private).toBeUndefined();
  });

  it("carries the JSDoc of every setting into the declarations, with its default", () => {
    const declarations = readFileSync(join(installed, "dist", "components", "platform-args.d.ts"), "utf8");
    for (const field of ["stage", "memoryLimits", "namePrefix", "childNames", "pgdataVolumeGb"])
      expect(declarations).toMatch(new RegExp(`@default((?!\\*/)[\\s\\S])*\\*/\\s*readonly ${field}\\?`));
  });

  it("creates nothing when required: outside a Pulumi run, a single resource would throw", () => {
    const result = run(
      [
        "-e",
        `const lib = require("orion-infra"); console.log(typeof lib.OrionPlatform, typeof lib.plan, typeof lib.parseConfig)`,
      ],
      consumer,
    );
    expect(result).toEqual({ status: 0, output: "function function function\n" });
  });

  it("type-checks examples/staging against the built package, with Node's resolution of package exports; a wrong stage is an error", () => {
    copyFileSync(join(ROOT, "examples", "staging", "index.ts"), join(consumer, "index.ts"));
    // If the package's types were loose (any), this expectation of an error would itself be the error.
    writeFileSync(
      join(consumer, "typed.ts"),
      `import { OrionPlatform } from "orion-infra";\n// @ts-expect-error "growht" is not a stage\nnew OrionPlatform("typo", { stage: "growht", secrets: { dbPassword: "a", flowerPassword: "b", grafanaPassword: "c" } });\n`,
    );
    const tsconfig = {
      compilerOptions: {
        strict: true,
        noEmit: true,
        module: "node16",
        moduleResolution: "node16",
        target: "ES2022",
        types: ["node"],
        skipLibCheck: true,
      },
      files: ["index.ts", "typed.ts"],
    };
    writeFileSync(join(consumer, "tsconfig.json"), JSON.stringify(tsconfig));
    expect(run([TSC, "-p", consumer], consumer)).toEqual({ status: 0, output: "" });
  });
});

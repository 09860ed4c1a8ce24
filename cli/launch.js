#!/usr/bin/env node
// @ts-check
"use strict";
/**
 * Starts a user-facing CLI (`npm run plan`, `advise`, `restore`) from one
 * JavaScript bundle instead of compiling its TypeScript on every call: tsx
 * spends about a second per start, the bundle a fraction of that. The bundle
 * is built by `npm ci` (the `prepare` script) and again here whenever one of
 * its sources is newer than it, so editing a `.ts` file never leaves a stale
 * CLI behind. `tsx cli/plan.ts` still runs the sources directly.
 *
 * Plain JavaScript on purpose: it is what Node runs before anything is built.
 */
const { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require("node:fs");
const Module = require("node:module");
const { dirname, join, relative } = require("node:path");
const vm = require("node:vm");

const ROOT = join(__dirname, "..");
/** The CLIs that users start, by the name `npm run <name>` gives them. */
const CLIS = { plan: "cli/plan.ts", advise: "cli/advise.ts", restore: "cli/restore.ts" };
/** Beside the dependencies it is built from: `rm -rf node_modules` or `npm ci` clears both. */
const OUT_DIR = join(ROOT, "node_modules", ".cache", "orion-infra", "cli");
/**
 * Loaded from node_modules at run time rather than bundled: the Pulumi SDK
 * (only `plan --policy` loads it) finds its own files and plugins by path.
 */
const EXTERNAL = ["@pulumi/*", "@grpc/*", "google-protobuf"];

/** @param {string} name */
const bundleOf = (name) => join(OUT_DIR, `${name}.js`);
/** @param {string} name */
const recordOf = (name) => join(OUT_DIR, `${name}.inputs.json`);
/** @param {string} name */
const codeCacheOf = (name) => join(OUT_DIR, `${name}.v8-cache`);

/** @param {string} path */
function mtimeMs(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Infinity; // a source that moved or vanished: rebuild
  }
}

/**
 * Fresh when every project source the bundle was built from, the installed
 * dependencies and this launcher are older than the build.
 * @param {string} name
 */
function isFresh(name) {
  let record;
  try {
    record = JSON.parse(readFileSync(recordOf(name), "utf8"));
    statSync(bundleOf(name));
  } catch {
    return false;
  }
  const watched = [
    ...record.inputs.map((/** @type {string} */ p) => join(ROOT, p)),
    join(ROOT, "node_modules", ".package-lock.json"),
    __filename,
  ];
  return watched.every((path) => mtimeMs(path) < record.builtAtMs);
}

/**
 * A bundle runs from OUT_DIR, so `__dirname` and `__filename` in a bundled
 * source would name OUT_DIR and the bundle: give each source its own again
 * (the policy pack's freshness check finds the pack from its own file name).
 * @type {import("esbuild").Plugin}
 */
const sourceDirname = {
  name: "source-dirname",
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const contents = readFileSync(args.path, "utf8");
      if (args.path.includes(`${join("node_modules", "")}`) || !/\b__(dirname|filename)\b/.test(contents))
        return undefined;
      const own = { dirname: relative(OUT_DIR, dirname(args.path)), filename: relative(OUT_DIR, args.path) };
      return {
        contents: contents.replace(
          /\b__(dirname|filename)\b/g,
          (_, which) =>
            `require("node:path").join(__dirname, ${JSON.stringify(own[/** @type {"dirname" | "filename"} */ (which)])})`,
        ),
        loader: "ts",
      };
    });
  },
};

/** @param {string[]} names */
async function build(names) {
  const esbuild = require("esbuild");
  mkdirSync(OUT_DIR, { recursive: true });
  for (const name of names) {
    const builtAtMs = Date.now();
    const temp = `${bundleOf(name)}.${process.pid}.tmp`;
    const result = await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: [join(ROOT, CLIS[/** @type {keyof typeof CLIS} */ (name)])],
      outfile: temp,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      external: EXTERNAL,
      plugins: [sourceDirname],
      metafile: true,
      logLevel: "warning",
    });
    const inputs = Object.keys(result.metafile.inputs).filter(
      (p) => !p.startsWith("node_modules/") && !p.includes(":"),
    );
    // Written whole and renamed, so that two processes building at once never load half a file.
    renameSync(temp, bundleOf(name));
    writeFileSync(`${recordOf(name)}.${process.pid}.tmp`, JSON.stringify({ builtAtMs, inputs }));
    renameSync(`${recordOf(name)}.${process.pid}.tmp`, recordOf(name));
    rmSync(codeCacheOf(name), { force: true });
  }
}

/**
 * Runs a bundle as `require` would, with V8's compiled code kept from the
 * last run (Node 20 has no module compile cache of its own): compiling the
 * bundle is a good part of its start. V8 checks the cache against the source
 * and ignores a cache that does not match.
 * @param {string} name
 */
function runBundle(name) {
  const file = bundleOf(name);
  let cachedData;
  try {
    cachedData = readFileSync(codeCacheOf(name));
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(readFileSync(file, "utf8")), { filename: file, cachedData });
  const bundle = new Module(file, module);
  bundle.filename = file;
  script.runInThisContext().call(bundle.exports, bundle.exports, Module.createRequire(file), bundle, file, OUT_DIR);
  if (cachedData === undefined || script.cachedDataRejected) {
    // After the run, so that the functions it compiled on the way are in the cache too.
    process.once("exit", () => {
      try {
        writeFileSync(`${codeCacheOf(name)}.${process.pid}.tmp`, script.createCachedData());
        renameSync(`${codeCacheOf(name)}.${process.pid}.tmp`, codeCacheOf(name));
      } catch {
        // Only a cache: the next start compiles again.
      }
    });
  }
}

/** Builds every CLI whose bundle is missing or older than its sources (the test suite's global setup). */
async function ensureBuilt() {
  const stale = Object.keys(CLIS).filter((name) => !isFresh(name));
  if (stale.length > 0) await build(stale);
}

async function main() {
  const name = process.argv[2];
  if (name === "--build") return build(Object.keys(CLIS));
  if (!(name in CLIS)) {
    process.stderr.write(`usage: node cli/launch.js <${Object.keys(CLIS).join("|")}> [options] | --build\n`);
    process.exitCode = 2;
    return;
  }
  if (!isFresh(name)) await build([name]);
  // The CLI reads its options from process.argv as if it had been started itself.
  process.argv.splice(2, 1);
  runBundle(name);
}

module.exports = { ensureBuilt };

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`error: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
}

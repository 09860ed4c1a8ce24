const { mkdtempSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

/**
 * Before the workers start: build the CLI bundles (`npm run plan`, `npm run
 * advise`) once, so that no two tests build them at once, and make the
 * directory where test files share offline runs of the program (see
 * sharedRun in test/program/support.ts). The workers inherit the variable.
 */
module.exports = async () => {
  await require("../cli/launch").ensureBuilt();
  process.env.ORION_TEST_SHARED_RUNS = mkdtempSync(join(tmpdir(), "orion-test-runs-"));
};

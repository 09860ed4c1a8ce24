const { mkdtempSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

/**
 * Before the workers start: build the CLI bundles (`npm run plan`, `npm run
 * advise`, `npm run restore`) and the policy pack once, so that no two tests
 * build them at once, and make the
 * directory where test files share offline runs of the program (see
 * sharedRun in test/program/support.ts). The workers inherit the variable.
 */
module.exports = async () => {
  // The real-hosts test bed: stop what a crashed earlier run left (engines, namespaces, loop devices), by recorded PID and name.
  require("tsx/cjs/api").require("./hosts/global-setup", __filename).default();
  await require("../cli/launch").ensureBuilt();
  // The policy pack too, when its sources changed since `npm ci` built it: else the first test to start it builds it under its own timeout.
  require("tsx/cjs/api").require("../preview/pack-build", __filename).ensurePackBuilt();
  process.env.ORION_TEST_SHARED_RUNS = mkdtempSync(join(tmpdir(), "orion-test-runs-"));
};

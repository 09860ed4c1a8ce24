const { rmSync } = require("node:fs");

/** Removes the runs the test files shared; the next `jest` starts from a fresh program. */
module.exports = async () => {
  // Whatever a test bed left because its test process died is stopped by PID and removed.
  require("tsx/cjs/api").require("./hosts/global-teardown", __filename).default();
  if (process.env.ORION_TEST_SHARED_RUNS) rmSync(process.env.ORION_TEST_SHARED_RUNS, { recursive: true, force: true });
};

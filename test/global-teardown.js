const { rmSync } = require("node:fs");

/** Removes the runs the test files shared; the next `jest` starts from a fresh program. */
module.exports = async () => {
  if (process.env.ORION_TEST_SHARED_RUNS) rmSync(process.env.ORION_TEST_SHARED_RUNS, { recursive: true, force: true });
};

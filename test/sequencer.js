const Sequencer = require("@jest/test-sequencer").default;

/**
 * Jest's order (failed first, then slowest first), with the real-hosts
 * scenarios last: each waits for the test bed's images, which .ci/run builds
 * in the background meanwhile, and would hold a worker idle while the others
 * queue. Last, they run side by side once the rest is done.
 */
class HostsLast extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const isHosts = (test) => test.context.config.displayName?.name === "hosts";
    return [...sorted.filter((t) => !isHosts(t)), ...sorted.filter(isHosts)];
  }
}

module.exports = HostsLast;

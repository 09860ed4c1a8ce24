/**
 * Tests by kind, one jest project each, so that a kind runs alone:
 * `npm run test:unit` (the model and its renderers, seconds), `npx jest --selectProjects program`.
 * A new test goes in the folder of its kind; test/README.md says which is which.
 *
 * Type checking runs once in `npm test` (tsc --noEmit); ts-jest only transpiles, which keeps the suite fast.
 */
const transform = { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] };

/**
 * The real-hosts scenarios `npm test` runs (test/hosts/scenarios/<name>.test.ts). CI's whole run must stay under
 * 25 minutes with a cold image build (test/hosts/README.md has the figures); from-scratch, which adds scale deployed
 * from scratch to what these deploy, runs with `npm run test:hosts`.
 */
const CI_HOST_SCENARIOS = ["launch-lifecycle", "release", "database-move", "enterprise"];

/** @param {string} displayName @param {string[]} testMatch */
const project = (displayName, testMatch) => ({
  displayName,
  testEnvironment: "node",
  transform,
  roots: ["<rootDir>/test"],
  testMatch: testMatch.map((glob) => `<rootDir>/test/${glob}`),
});

module.exports = {
  projects: [
    // The pure model and renderers: plain function calls, no Pulumi, no process, no tool.
    project("model", ["model/**/*.test.ts"]),
    // The Pulumi program under mocks, the policies it must pass, and the docs generated from both.
    project("program", ["program/**/*.test.ts", "policies/**/*.test.ts", "docs.test.ts"]),
    // Rendered files and the CLIs checked by the tools their users run (dclint, docker-compose, promtool, cloud-init, actionlint,
    // mermaid-cli, the CI workflows' SSH-access script against a Hetzner API on 127.0.0.1); generated configs (fuzz) through the same tools and PostgreSQL's own check of its settings.
    project("tools", [
      "render/**/*.test.ts",
      "monitoring/**/*.test.ts",
      "cli/**/*.test.ts",
      "fuzz/**/*.test.ts",
      "readme.test.ts",
      "workflows.test.ts",
      "ci-ssh-access.test.ts",
      "topology.test.ts",
    ]),
    // Real servers on 127.0.0.1 (PostgreSQL, PgBouncer, Redis, Sentinel, Prometheus, pgBackRest and its restore drill), each on a free port in its own directory.
    project("servers", ["servers/**/*.test.ts", "advisor/**/*.test.ts"]),
    // Real hosts: one Docker Engine per simulated server in its own network namespace (root only; test/hosts/README.md).
    // `npm test`, and so CI, runs the scenarios of CI_HOST_SCENARIOS; `npm run test:hosts` runs every scenario.
    project(
      "hosts",
      process.env.ORION_TEST_HOSTS === "all"
        ? ["hosts/**/*.test.ts"]
        : CI_HOST_SCENARIOS.map((name) => `hosts/scenarios/${name}.test.ts`),
    ),
  ],
  // Every core: test files share no port, directory or process (servers take free ports and temporary directories).
  maxWorkers: "100%",
  // Builds the CLI bundles once, before the workers start, and a directory for runs the test files share.
  globalSetup: "<rootDir>/test/global-setup.js",
  globalTeardown: "<rootDir>/test/global-teardown.js",
  // The real-hosts scenarios last (test/sequencer.js).
  testSequencer: "<rootDir>/test/sequencer.js",
  // Generous: a busy machine slows every process down, and no test may fail for being slow.
  testTimeout: 180_000,
};

/** Type checking runs once in `npm test` (tsc --noEmit); ts-jest only transpiles, which keeps the suite fast. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
  },
  testTimeout: 60000,
  // The real-hosts test bed (test/hosts): stop what a crashed run left, before and after the tests.
  globalSetup: "<rootDir>/test/hosts/global-setup.ts",
  globalTeardown: "<rootDir>/test/hosts/global-teardown.ts",
};

// One jest entry, three projects: fast unit tests beside the code, integration tests against
// real servers (HTTP/TLS, TCP, PostgreSQL), and end-to-end tests against the cluster in a box.
// `npm test` runs them with one worker (--maxWorkers=1, jest's default on a 2-core machine): the
// e2e scenario files share one world, and some change its settings or kill its agents.
const tsJest = {
  "^.+\\.ts$": ["ts-jest", { useESM: true, tsconfig: "tsconfig.json" }],
};
const common = {
  extensionsToTreatAsEsm: [".ts"],
  transform: tsJest,
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  testEnvironment: "node",
};

export default {
  projects: [
    {
      ...common,
      displayName: "unit",
      testMatch: [
        "<rootDir>/api/**/*.test.ts",
        "<rootDir>/hooks/**/*.test.ts",
        "<rootDir>/images/agent/src/**/*.test.ts",
        "<rootDir>/packages/*/src/**/*.test.ts",
        "<rootDir>/tests/unit/**/*.test.ts",
      ],
    },
    {
      ...common,
      displayName: "integration",
      testMatch: ["<rootDir>/tests/integration/**/*.test.ts"],
    },
    {
      ...common,
      displayName: "e2e",
      testMatch: ["<rootDir>/tests/e2e/**/*.test.ts"],
      // The cluster in a box: built and started once per run, stopped and purged at the end.
      globalSetup: "<rootDir>/tests/e2e/global-setup.ts",
      globalTeardown: "<rootDir>/tests/e2e/global-teardown.ts",
    },
  ],
};

// "shell-operator-ts-hooks/testing": the test helpers (also re-exported from the package
// root) plus YAML fixture parsing, which only tests need.

export { buildInput, runHookForTest } from "./helpers.js";
export { fromYaml } from "./yaml.js";

// swh-kube-client: the small Kubernetes client the agent, the test harness and the benchmarks
// share: REST calls and watches over Node's http/https with kubeconfig credentials (rest.ts; the
// calls' shapes in rest-types.ts), an informer that lists, watches, resumes and relists like
// client-go's reflector (reflector.ts; its options and events in reflector-types.ts), API errors and their classification (errors.ts), the raw
// object shapes it reads (objects.ts), backoff with jitter (backoff.ts) and the logger interface
// it writes to (logger.ts).

export * from "./backoff.js";
export * from "./errors.js";
export * from "./logger.js";
export * from "./objects.js";
export * from "./reflector.js";
export * from "./reflector-types.js";
export * from "./rest.js";
export * from "./rest-types.js";

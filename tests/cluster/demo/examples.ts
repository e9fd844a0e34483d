// Where the demo puts the seed's examples: the seed's manifests name the namespace `my-ns`, and
// the demo keeps it (real-demo.ts sets the examples up there).

/** The seed's namespace. */
export const DEMO_NAMESPACE = "my-ns";

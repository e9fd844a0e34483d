// Renders kubeconfig files for the box: one cluster entry (the loopback kube-apiserver) and one
// user, authenticated either by a client certificate or by a bearer token. Everything is embedded
// so a kubeconfig stays valid when copied elsewhere on the machine.
import { stringify } from "yaml";

/** How the kubeconfig's user authenticates. */
export type KubeconfigCredentials =
  | { readonly clientCertificatePem: string; readonly clientKeyPem: string }
  | { readonly token: string };

/** Inputs of a kubeconfig. */
export interface KubeconfigInput {
  /** `https://127.0.0.1:<port>`. */
  readonly server: string;
  /** PEM of the CA that signed the apiserver's serving certificate. */
  readonly caPem: string;
  /** Name used for the cluster, user and context entries. */
  readonly name: string;
  readonly credentials: KubeconfigCredentials;
  /** Default namespace of the context. */
  readonly namespace?: string;
  /**
   * Name to verify the server certificate against when `server` is an address the certificate
   * does not list (a real node reaches the API server on its node-network gateway).
   */
  readonly tlsServerName?: string;
}

const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

/** Returns kubeconfig YAML for the input. */
export function renderKubeconfig(input: KubeconfigInput): string {
  const user =
    "token" in input.credentials
      ? { token: input.credentials.token }
      : {
          "client-certificate-data": b64(input.credentials.clientCertificatePem),
          "client-key-data": b64(input.credentials.clientKeyPem),
        };
  const context: Record<string, string> = { cluster: input.name, user: input.name };
  if (input.namespace) context.namespace = input.namespace;
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: input.name,
        cluster: {
          server: input.server,
          "certificate-authority-data": b64(input.caPem),
          ...(input.tlsServerName ? { "tls-server-name": input.tlsServerName } : {}),
        },
      },
    ],
    users: [{ name: input.name, user }],
    contexts: [{ name: input.name, context }],
    "current-context": input.name,
    preferences: {},
  });
}

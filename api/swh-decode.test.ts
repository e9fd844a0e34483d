// The one decoding of an SWH's spec both deployables use: valid fields kept as they are, entries
// of the wrong type dropped (not the resource), a forbidden Service type refuses the SWH.
import { decodeSwhSpec } from "./swh-decode.js";

describe("decodeSwhSpec", () => {
  it("keeps a valid spec whole", () => {
    const spec = {
      selector: { app: "db" },
      ports: [{ name: "pg", protocol: "TCP", port: 5432, targetPort: 5432 }],
      publishNotReadyAddresses: true,
      healthcheck: {
        periodSeconds: 10,
        initialDelaySeconds: 0,
        probes: [
          {
            mode: "HTTP",
            timeoutSeconds: 1,
            successThreshold: 1,
            failureThreshold: 3,
            recheckIntervalMilliseconds: 1000,
            http: { targetPort: 8080, path: "/healthz", scheme: "HTTPS" },
          },
        ],
        failOpen: { minPassingPercent: 50 },
      },
    };
    expect(decodeSwhSpec(spec)).toEqual(spec);
  });

  it("keeps a TCP conversation, and a malformed step as a step (the agent refuses it)", () => {
    const conversation = [{ expect: { prefix: "220" } }, { send: "QUIT" }];
    const probe = { mode: "TCP", tcp: { targetPort: 2525, conversation } };
    expect(decodeSwhSpec({ healthcheck: { probes: [probe] } })).toEqual({
      healthcheck: { probes: [probe] },
    });
    const odd = { targetPort: 25, conversation: [{ send: 1, expect: { prefix: 2 } }, "x"] };
    expect(decodeSwhSpec({ healthcheck: { probes: [{ mode: "TCP", tcp: odd }] } })).toEqual({
      healthcheck: {
        probes: [{ mode: "TCP", tcp: { targetPort: 25, conversation: [{ expect: {} }, {}] } }],
      },
    });
  });

  it("keeps a gRPC probe's fields, and drops those of the wrong type", () => {
    const grpc = {
      targetPort: "grpc",
      service: "shop.v1.Orders",
      scheme: "HTTPS",
      caCert: "PEM",
      insecureSkipTLSVerify: false,
    };
    expect(decodeSwhSpec({ healthcheck: { probes: [{ mode: "GRPC", grpc }] } })).toEqual({
      healthcheck: { probes: [{ mode: "GRPC", grpc }] },
    });
    const odd = { targetPort: 50051, service: 7, scheme: "h2c", insecureSkipTLSVerify: "no" };
    expect(decodeSwhSpec({ healthcheck: { probes: [{ mode: "GRPC", grpc: odd }] } })).toEqual({
      healthcheck: { probes: [{ mode: "GRPC", grpc: { targetPort: 50051 } }] },
    });
  });

  it("drops entries of the wrong type, not the resource", () => {
    expect(
      decodeSwhSpec({
        ports: [{ port: "5432" }, { port: 80 }],
        publishNotReadyAddresses: "yes",
        healthcheck: {
          periodSeconds: "10",
          probes: [{ mode: "ICMP" }, { mode: "TCP", tcp: {}, recheckIntervalMilliseconds: "1000" }],
        },
      }),
    ).toEqual({ ports: [{ port: 80 }], healthcheck: { probes: [{ mode: "TCP" }] } });
  });

  it("keeps failOpen only with a numeric minPassingPercent", () => {
    const decode = (failOpen: unknown): unknown => decodeSwhSpec({ healthcheck: { failOpen } });
    expect(decode({ minPassingPercent: 30 })).toEqual({
      healthcheck: { failOpen: { minPassingPercent: 30 } },
    });
    expect(decode({ minPassingPercent: "30" })).toEqual({ healthcheck: {} });
    expect(decode("on")).toEqual({ healthcheck: {} });
  });

  it("refuses a Service type the CRD forbids", () => {
    expect(decodeSwhSpec({ type: "ExternalName" })).toBeUndefined();
    expect(decodeSwhSpec({ type: "LoadBalancer" })).toEqual({ type: "LoadBalancer" });
  });
});

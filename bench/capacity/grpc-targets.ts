// gRPC targets of the capacity benchmark: one real gRPC server (@grpc/grpc-js) bound to every
// address of a target process, serving grpc.health.v1.Health/Check (the test backends' health
// service definition) and answering SERVING to every call, which it counts.
import * as grpc from "@grpc/grpc-js";
import { HEALTH_SERVICE } from "../../tests/cluster/backends/grpc-health.js";

/** The running targets: the calls answered so far, and how to stop. */
export interface GrpcTargets {
  readonly failures: readonly string[];
  calls(): number;
  stop(): void;
}

/** Binds one server to `port` on every address (in batches); failures are reported, not thrown. */
export async function startGrpcTargets(
  addresses: readonly string[],
  port: number,
): Promise<GrpcTargets> {
  let calls = 0;
  const server = new grpc.Server();
  server.addService(HEALTH_SERVICE, {
    Check: (_call: unknown, callback: (error: null, status: "SERVING") => void) => {
      calls += 1;
      callback(null, "SERVING");
    },
  });
  const credentials = grpc.ServerCredentials.createInsecure();
  const bind = (address: string): Promise<string | undefined> =>
    new Promise(resolve =>
      server.bindAsync(`${address}:${port}`, credentials, error =>
        resolve(error ? `${address}: ${error.message}` : undefined),
      ),
    );
  const failures: string[] = [];
  const batch = 500;
  for (let i = 0; i < addresses.length; i += batch) {
    const results = await Promise.all(addresses.slice(i, i + batch).map(bind));
    for (const failure of results) if (failure !== undefined) failures.push(failure);
  }
  return { failures, calls: () => calls, stop: () => server.forceShutdown() };
}

import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Starts a test's HTTP server on a free port of 127.0.0.1 and returns its base URL. */
export function listenOnLoopback(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

/** Stops a server that listenOnLoopback started. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

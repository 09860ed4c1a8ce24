import { closeSync, openSync, readFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { waitUntil } from "./run";
import { recordProcess, type RunDir } from "./state";

/**
 * The internet's name server, as the bed's hosts see it: it knows none of
 * the names asked and says so at once (NXDOMAIN), as a server's upstream
 * resolver does for a compose service name that Docker's embedded DNS no
 * longer answers (its container is stopped). Without one, Docker forwards
 * such a query to its default public resolvers, which the bed cannot reach:
 * the query times out, and a client that resolves the name on every try
 * (postgres_exporter's scrape, 5 s per lookup) outlasts its health check
 * while PostgreSQL is down: a difference from a server, not a defect of the
 * stack. It runs in the operator's namespace, on the internet side.
 */
const PROGRAM = `
  const dgram = require("dgram");
  const socket = dgram.createSocket("udp4");
  socket.on("message", (query, from) => {
    if (query.length < 12) return;
    const answer = Buffer.from(query);
    // Header: QR=1, opcode and RD kept, RA=1, RCODE=3 (NXDOMAIN); the question stays, no records follow it.
    answer[2] = 0x80 | (query[2] & 0x79);
    answer[3] = 0x80 | 3;
    answer.writeUInt16BE(0, 6);
    answer.writeUInt16BE(0, 8);
    answer.writeUInt16BE(0, 10);
    let end = 12;
    while (end < answer.length && answer[end] !== 0) end += answer[end] + 1;
    socket.send(answer.subarray(0, Math.min(answer.length, end + 5)), from.port, from.address);
  });
  socket.bind(53, "0.0.0.0", () => console.log("resolver up"));`;

export async function startResolver(run: RunDir, netnsPath: string): Promise<void> {
  const logFile = join(run.dir, "resolver.log");
  const log = openSync(logFile, "a");
  const child = spawn("nsenter", [`--net=${netnsPath}`, process.execPath, "-e", PROGRAM], {
    detached: true,
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  child.unref();
  recordProcess(run, child.pid!, "name server (NXDOMAIN for every name)");
  await waitUntil(
    "the bed's name server",
    () => {
      if (child.exitCode !== null)
        throw new Error(`the name server exited ${child.exitCode}: ${readFileSync(logFile, "utf8")}`);
      return readFileSync(logFile, "utf8").includes("resolver up");
    },
    120_000,
    200,
  );
}

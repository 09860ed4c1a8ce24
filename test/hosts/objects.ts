import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { addNamespace, PUBLIC_PREFIX, type Switch } from "./network";
import { sh, waitUntil } from "./run";
import { recordProcess, type RunDir } from "./state";

/**
 * Object Storage for the bed's stacks: s3rver (the npm package the restore
 * drill uses) over HTTPS in a namespace of its own on the internet side, as
 * Hetzner's Object Storage is a public endpoint. The database containers
 * reach it through their engine's NAT, as on a server; pgBackRest checks its
 * certificate against the CA the bed passes as `orion:backupCaCert`.
 */

/** The endpoint's address on the public bridge (TEST-NET-3, beside the operator's 203.0.113.2). */
export const OBJECTS_IP = "203.0.113.3";
export const OBJECTS_BUCKET = "orion-testbed";
/** s3rver accepts only its built-in account; the bed's env file carries these as the repository's keys. */
export const OBJECTS_KEYS = { accessKey: "S3RVER", secretKey: "S3RVER" };

export interface ObjectStorage {
  endpoint: string;
  bucket: string;
  caPem: string;
  /** Where s3rver keeps the bucket's objects, on the machine. */
  storage: string;
}

/**
 * A CA for the run and a certificate for the endpoint's address. pgBackRest
 * 2.45 matches the endpoint against the certificate's DNS names (not its IP
 * addresses), so the address is a DNS name too.
 */
async function certificates(dir: string): Promise<{ caPem: string; key: string; cert: string }> {
  await sh(
    [
      "set -e",
      `cd '${dir}'`,
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=orion-testbed-ca 2>/dev/null",
      `openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout s3.key -out s3.csr -subj /CN=${OBJECTS_IP} 2>/dev/null`,
      `printf 'subjectAltName=DNS:${OBJECTS_IP},IP:${OBJECTS_IP}\\n' > s3.ext`,
      "openssl x509 -req -in s3.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out s3.pem -days 2 -extfile s3.ext 2>/dev/null",
    ].join("\n"),
  );
  return { caPem: readFileSync(join(dir, "ca.pem"), "utf8"), key: join(dir, "s3.key"), cert: join(dir, "s3.pem") };
}

export async function startObjectStorage(run: RunDir, net: Switch): Promise<ObjectStorage> {
  const dir = join(run.dir, "objects");
  const storage = join(dir, "data");
  mkdirSync(storage, { recursive: true });
  const tls = await certificates(dir);
  const ns = await addNamespace(run, `otb-${run.id}-objects`);
  await net.plug(ns, "eth0", "pub", `${OBJECTS_IP}/${PUBLIC_PREFIX}`);
  const program = `
    const S3rver = require(${JSON.stringify(require.resolve("s3rver"))});
    const fs = require("fs");
    new S3rver({ port: 443, address: "0.0.0.0", silent: true, directory: ${JSON.stringify(storage)},
      key: fs.readFileSync(${JSON.stringify(tls.key)}), cert: fs.readFileSync(${JSON.stringify(tls.cert)}),
      configureBuckets: [{ name: ${JSON.stringify(OBJECTS_BUCKET)} }] }).run().then(() => console.log("s3rver up"));`;
  const logFile = join(dir, "s3rver.log");
  const log = openSync(logFile, "a");
  const child = spawn("nsenter", [`--net=${ns.path}`, process.execPath, "-e", program], {
    detached: true,
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  child.unref();
  recordProcess(run, child.pid!, "object storage (s3rver)");
  await waitUntil(
    "the bed's object storage",
    () => {
      if (child.exitCode !== null) throw new Error(`s3rver exited ${child.exitCode}: ${readFileSync(logFile, "utf8")}`);
      return readFileSync(logFile, "utf8").includes("s3rver up");
    },
    60_000,
    200,
  );
  return { endpoint: OBJECTS_IP, bucket: OBJECTS_BUCKET, caPem: tls.caPem, storage };
}

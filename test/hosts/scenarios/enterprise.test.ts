import { TestBed } from "../bed";
import { report, stackState } from "../checks";
import type { ContainerState } from "../host";
import { waitUntil } from "../run";

/**
 * The enterprise stage's data tier on real hosts: a worker server added by
 * config (the db server's pg_hba.conf and the app server's prometheus.yml
 * change, nothing else on them), and the Redis master lost and restarted
 * under Sentinel. The API and read-replica servers play no part in these
 * two stories and are not started.
 */
const ENTERPRISE = { stage: "enterprise", tlsIssuer: "internal", workerServers: 1 };
const SERVERS = ["app", "db", "redis", "redis-replica", "worker-1", "worker-2"];
let bed: TestBed;

beforeAll(async () => {
  bed = await TestBed.start({ config: ENTERPRISE, servers: SERVERS });
  const up = await bed.up();
  if (!up.ok) throw new Error(`the enterprise deploy failed:\n${up.commands.map(TestBed.describe).join("\n")}`);
}, 60 * 60_000);

afterAll(async () => {
  await bed?.stop();
}, 300_000);

/** Services whose container was replaced or restarted between two looks at a server. */
function touched(before: ContainerState[], after: ContainerState[]): string[] {
  const old = new Map(before.map((c) => [c.id, c]));
  return [
    ...new Set(after.filter((c) => !old.has(c.id) || old.get(c.id)!.startedAt !== c.startedAt).map((c) => c.service)),
  ].sort();
}

/** Redis's reply to one command, with redis-cli in the Sentinel container on the app server. */
async function redis(host: string, port: number, ...command: string[]): Promise<string> {
  return (
    await bed
      .host("app")
      .docker(["exec", "orion-redis-sentinel-1", "redis-cli", "-h", host, "-p", String(port), ...command])
  ).stdout.trim();
}

describe("the enterprise stage on real hosts", () => {
  it(
    "adding a worker server: the db server reloads pg_hba.conf, the new worker's Celery tasks reach PostgreSQL, and Prometheus scrapes it",
    async () => {
      const before = { db: await bed.host("db").containers(), app: await bed.host("app").containers() };
      const up = await bed.up({ ...ENTERPRISE, workerServers: 2 });
      expect(up.commands.filter((c) => c.outcome === "ran" && c.code !== 0).map(TestBed.describe)).toEqual([]);
      expect(up.ok).toBe(true);
      expect(up.created).toEqual(["worker-2"]);
      const touchedOnDb = touched(before.db, await bed.host("db").containers());
      const touchedOnApp = touched(before.app, await bed.host("app").containers());

      // Task rows carry the host name of the container that ran them; the new worker's containers are known by ID.
      const workers = (await bed.host("worker-2").containers())
        .filter((c) => c.service === "celery-worker")
        .map((c) => c.id.slice(0, 12));
      expect(workers.length).toBeGreaterThan(0);
      const sql = (q: string) =>
        bed.host("db").docker(["exec", "orion-db-1", "psql", "-U", "orion", "-d", "orion", "-Atc", q]);
      let sent = 0;
      const rowsFromNewWorker = await waitUntil(
        "a task row written by worker-2",
        async () => {
          for (let i = 0; i < 10; i++) {
            const answer = await bed.https("/tasks?note=worker-test", { method: "POST" });
            if (answer.status === 200) sent += 1;
          }
          const n = Number(
            (
              await sql(
                `SELECT count(*) FROM rows WHERE written_by = 'celery' AND host IN (${workers.map((w) => `'${w}'`).join(",")})`,
              )
            ).stdout.trim(),
          );
          return n > 0 ? n : undefined;
        },
        300_000,
        2000,
      );

      const query = encodeURIComponent('up{server="worker-2"}');
      const up2 = await waitUntil(
        "Prometheus to scrape worker-2",
        async () => {
          const out = await bed
            .host("app")
            .docker([
              "exec",
              "orion-prometheus-1",
              "wget",
              "-q",
              "-O",
              "-",
              `http://127.0.0.1:9090/api/v1/query?query=${query}`,
            ]);
          const result = (
            JSON.parse(out.stdout) as { data: { result: { metric: { job: string }; value: [number, string] }[] } }
          ).data.result;
          return result.length > 0 && result.every((r) => r.value[1] === "1")
            ? result.map((r) => r.metric.job).sort()
            : undefined;
        },
        180_000,
        3000,
      );
      const state = await stackState(bed);

      report("enterprise: a worker server added", [
        `pulumi up ${(up.ms / 1000).toFixed(1)} s: ${up.commands
          .filter((c) => c.outcome === "ran")
          .map((c) => `${c.name} ${((c.ms ?? 0) / 1000).toFixed(1)} s`)
          .join(", ")}`,
        `containers touched on db: ${touchedOnDb.join(", ") || "none"}; on app: ${touchedOnApp.join(", ") || "none"}`,
        `${rowsFromNewWorker} task rows written by worker-2's Celery (${sent} tasks queued)`,
        `Prometheus scrapes worker-2: ${up2.join(", ")} up`,
        `${Object.values(state.containers).flat().length} containers on ${SERVERS.length} servers, ${state.unhealthy.length} not healthy, ${state.mismatches.length} memory limit mismatches`,
      ]);
      expect(touchedOnDb.filter((s) => s !== "db")).toEqual([]);
      expect(touchedOnApp.filter((s) => s !== "prometheus")).toEqual([]);
      expect(rowsFromNewWorker).toBeGreaterThan(0);
      expect(up2).toEqual(expect.arrayContaining(["node-exporter"]));
      expect(state.unhealthy).toEqual([]);
      expect(state.mismatches).toEqual([]);
    },
    30 * 60_000,
  );

  it(
    "killing the Redis master: Sentinel promotes the replica, no write acknowledged by WAIT is lost, and the restarted old master follows the new one",
    async () => {
      const master = bed.host("redis").privateIp;
      const replica = bed.host("redis-replica").privateIp;
      const sentinels = ["app", "redis", "redis-replica"].map((s) => bed.host(s).privateIp);
      const masterOf = async (sentinel: string) =>
        (await redis(sentinel, 26379, "SENTINEL", "get-master-addr-by-name", "orion")).split("\n")[0];
      expect(await masterOf(sentinels[0])).toBe(master);

      // One producer connection: RPUSH then WAIT 1 (one replica has it) for each write.
      const writes = 500;
      const commands = Array.from({ length: writes }, (_, i) => `RPUSH failover-test w${i}\nWAIT 1 1000\n`).join("");
      const out = (
        await bed
          .host("app")
          .docker(["exec", "-i", "orion-redis-sentinel-1", "redis-cli", "-h", master, "-p", "6379"], {
            input: commands,
          })
      ).stdout
        .trim()
        .split("\n");
      const acknowledged = Array.from({ length: writes }, (_, i) => i)
        .filter((i) => Number(out[2 * i + 1]) >= 1)
        .map((i) => `w${i}`);

      const killedAt = Date.now();
      await bed.host("redis").docker(["kill", "orion-redis-1"]);
      const promotedAfterMs = await waitUntil(
        "Sentinel to promote the replica",
        async () => ((await masterOf(sentinels[0])) === replica ? Date.now() - killedAt : undefined),
        120_000,
        250,
      );
      await waitUntil(
        "the replica to accept writes",
        async () => (await redis(replica, 6379, "ROLE")).startsWith("master"),
        60_000,
        500,
      );
      const kept = new Set((await redis(replica, 6379, "LRANGE", "failover-test", "0", "-1")).split("\n"));
      const lost = acknowledged.filter((w) => !kept.has(w));
      const restartedByDocker = (await bed.host("redis").containers()).find((c) => c.service === "redis")!.running;

      const restartAt = Date.now();
      await bed.host("redis").docker(["start", "orion-redis-1"]);
      const followsAfterMs = await waitUntil(
        "the old master to follow the new one",
        async () => {
          const role = (await redis(master, 6379, "ROLE")).split("\n");
          return role[0] === "slave" && role[1] === replica && role[3] === "connected"
            ? Date.now() - restartAt
            : undefined;
        },
        180_000,
        1000,
      );
      const views = await Promise.all(sentinels.map(masterOf));
      const masters = [];
      for (const ip of [master, replica]) if ((await redis(ip, 6379, "ROLE")).startsWith("master")) masters.push(ip);

      report("enterprise: the Redis master killed", [
        `${acknowledged.length} of ${writes} writes acknowledged by WAIT 1 before the kill; ${lost.length} lost after the failover`,
        `Sentinel promoted ${replica} ${(promotedAfterMs / 1000).toFixed(1)} s after the kill (docker restarted the killed master by itself: ${restartedByDocker})`,
        `old master restarted: a replica of ${replica} ${(followsAfterMs / 1000).toFixed(1)} s later; Sentinels on app, redis, redis-replica name ${views.join(", ")}; masters: ${masters.join(", ")}`,
      ]);
      expect(acknowledged.length).toBeGreaterThan(writes * 0.9);
      expect(lost).toEqual([]);
      expect(views).toEqual([replica, replica, replica]);
      expect(masters).toEqual([replica]);
    },
    15 * 60_000,
  );
});

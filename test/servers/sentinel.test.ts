import Redis from "ioredis";
import { performance } from "node:perf_hooks";
import { redisConfFor, sentinelConfFor, SENTINEL_MASTER } from "../../model/render/service-configs";
import { planFor } from "../helpers";
import { freePort, REDIS_SERVER, requireBinary, serviceDir, startProcess, waitFor, writeServiceFile, type RunningServer } from "./support";

/** The enterprise Redis: master, replica and three Sentinels (quorum 2), with their generated configs on loopback. */
const enterprise = planFor("enterprise");
const service = (server: string, name: string) => enterprise.servers.find((s) => s.name === server)!.services.find((s) => s.name === name)!;
const masterService = service("redis", "redis");
const replicaService = service("redis-replica", "redis-replica");
const sentinelConf = sentinelConfFor(enterprise, service("redis", "redis-sentinel"));
const setting = (name: string) => Number(new RegExp(`^sentinel ${name} ${SENTINEL_MASTER} (\\d+)$`, "m").exec(sentinelConf)![1]);
const DOWN_AFTER_MS = setting("down-after-milliseconds");
const FAILOVER_TIMEOUT_MS = setting("failover-timeout");

const servers: RunningServer[] = [];
let masterPort: number;
let replicaPort: number;
const sentinelPorts: number[] = [];

async function startRedis(name: string, conf: string, args: string[]): Promise<RunningServer> {
  const dir = serviceDir(`orion-${name}-`);
  const port = await freePort();
  const file = writeServiceFile(dir, `${name}.conf`, conf);
  const server = startProcess(REDIS_SERVER, [file, "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, ...args], { serviceUser: true, port, dir });
  servers.push(server);
  await waitFor(name, () => /Ready to accept connections|Sentinel ID is/.test(server.log()), 30_000, server);
  return server;
}

beforeAll(async () => {
  requireBinary(REDIS_SERVER);
  masterPort = (await startRedis("redis", redisConfFor(masterService), [])).port;
  // The replica's generated `replicaof` names the redis server's private IP; here it is loopback.
  replicaPort = (await startRedis("redis-replica", redisConfFor(replicaService, "10.0.1.30").replace(/^replicaof .*$/m, `replicaof 127.0.0.1 ${masterPort}`), [])).port;
  for (const name of ["sentinel-app", "sentinel-redis", "sentinel-redis-replica"]) {
    const conf = sentinelConf.replace(/^sentinel monitor (\S+) \S+ \d+ (\d+)$/m, `sentinel monitor $1 127.0.0.1 ${masterPort} $2`);
    sentinelPorts.push((await startRedis(name, conf, ["--sentinel"])).port);
  }
  // Ready once every Sentinel knows the replica and the two other Sentinels.
  await waitFor(
    "Sentinels",
    async () => {
      const counts = await Promise.all(
        sentinelPorts.map(async (port) => {
          const s = new Redis({ host: "127.0.0.1", port, lazyConnect: false });
          const info = (await s.call("SENTINEL", "MASTER", SENTINEL_MASTER)) as string[];
          s.disconnect();
          const field = (k: string) => Number(info[info.indexOf(k) + 1]);
          return field("num-other-sentinels") === 2 && field("num-slaves") === 1;
        }),
      );
      return counts.every(Boolean);
    },
    60_000,
  );
}, 120_000);

afterAll(async () => {
  for (const s of servers.reverse()) await s.stop();
});

describe("Redis Sentinel in the enterprise stage", () => {
  it("promotes the replica when the master dies, within detection plus failover time, keeping every write acknowledged by WAIT", async () => {
    const master = new Redis({ host: "127.0.0.1", port: masterPort });
    const acknowledged: string[] = [];
    for (let i = 0; i < 500; i++) {
      await master.lpush("celery", `task-${i}`);
      // WAIT 1: the write is on at least one replica before the producer counts it as sent.
      const replicas = (await master.call("WAIT", "1", "1000")) as number;
      if (replicas >= 1) acknowledged.push(`task-${i}`);
    }
    master.disconnect();
    // A write WAIT did not confirm (the replica was still catching up) is not counted as sent.
    expect(acknowledged.length).toBeGreaterThan(450);

    const sentinel = new Redis({ host: "127.0.0.1", port: sentinelPorts[1] });
    const killedAt = performance.now();
    servers[0].process.kill("SIGKILL");
    let promotedAfterMs = 0;
    await waitFor(
      "failover",
      async () => {
        const [, port] = (await sentinel.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SENTINEL_MASTER)) as [string, string];
        if (Number(port) !== replicaPort) return false;
        promotedAfterMs = performance.now() - killedAt;
        return true;
      },
      DOWN_AFTER_MS + FAILOVER_TIMEOUT_MS,
    );
    sentinel.disconnect();

    const promoted = new Redis({ host: "127.0.0.1", port: replicaPort });
    await waitFor("the promoted replica to accept writes", async () => ((await promoted.call("ROLE")) as string[])[0] === "master", 30_000);
    const kept = await promoted.lrange("celery", 0, -1);
    await promoted.lpush("celery", "after-failover");
    promoted.disconnect();

    const keptSet = new Set(kept);
    expect(acknowledged.filter((task) => !keptSet.has(task))).toEqual([]);
    // Not before the master has been silent for down-after-milliseconds: an earlier promotion would split the brain on a slow network.
    expect(promotedAfterMs).toBeGreaterThanOrEqual(DOWN_AFTER_MS);
    expect(promotedAfterMs).toBeLessThanOrEqual(DOWN_AFTER_MS + FAILOVER_TIMEOUT_MS);
    process.stdout.write(`Sentinel: replica promoted ${Math.round(promotedAfterMs)} ms after the master died (down-after ${DOWN_AFTER_MS} ms, failover-timeout ${FAILOVER_TIMEOUT_MS} ms); all ${acknowledged.length} WAIT-acknowledged writes kept (${kept.length} entries on the new master)\n`);
  }, 120_000);
});

import Redis from "ioredis";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { redisConfFor, SENTINEL_MASTER } from "../../model/render/service-configs";
import {
  redisHaLayout,
  redisStartCommand,
  redisStartScript,
  sentinelSeedConf,
  sentinelStartScript,
  type Address,
  type RedisHaLayout,
} from "../../model/render/redis-ha";
import { planFor } from "../helpers";
import {
  freePort,
  REDIS_SERVER,
  requireBinary,
  serviceDir,
  startProcess,
  waitFor,
  writeServiceFile,
  type RunningServer,
} from "./support";

/**
 * The enterprise Redis set on loopback, started by the start scripts the
 * containers run: master, replica and three Sentinels (quorum 2). Only the
 * addresses move: each instance announces a loopback address of its own
 * (127.0.0.2-6, which all reach this machine) different from the one the
 * others see its connections come from (127.0.0.1), as a container behind
 * Docker's NAT does, so an instance that did not announce would be listed
 * at the wrong address.
 */
const enterprise = planFor("enterprise");
const server = (name: string) => enterprise.servers.find((s) => s.name === name)!;
const service = (serverName: string, name: string) => server(serverName).services.find((s) => s.name === name)!;
const planned = redisHaLayout(enterprise, server("redis"), "redis-sentinel");
const seedSettings = sentinelSeedConf(planned, service("redis", "redis-sentinel"));
const setting = (name: string) =>
  Number(new RegExp(`^sentinel ${name} ${SENTINEL_MASTER} (\\d+)$`, "m").exec(seedSettings)![1]);
const DOWN_AFTER_MS = setting("down-after-milliseconds");
const FAILOVER_TIMEOUT_MS = setting("failover-timeout");

interface Instance {
  name: string;
  layout: RedisHaLayout;
  script: string;
  server?: RunningServer;
}

const instances: Record<string, Instance> = {};
const started: RunningServer[] = [];

async function start(instance: Instance): Promise<RunningServer> {
  const dir = instance.layout.dataDir;
  const script = writeServiceFile(dir, "start.sh", instance.script);
  // PATH as in the image: redis-server, redis-cli, timeout and seq by name.
  // The command line compose runs, with the script and the template moved to the test's directory.
  const [, , ...args] = redisStartCommand(script, instance.layout, instance.name.startsWith("sentinel"));
  const running = startProcess("sh", [script, ...args], { serviceUser: true, port: instance.layout.self.port, dir });
  started.push(running);
  instance.server = running;
  await waitFor(instance.name, () => /Ready to accept connections|Sentinel ID is/.test(running.log()), 60_000, running);
  return running;
}

const client = (a: Address) => new Redis({ host: a.host, port: a.port, lazyConnect: false, maxRetriesPerRequest: 1 });

async function ask<T>(a: Address, ...command: string[]): Promise<T> {
  const c = client(a);
  try {
    return (await c.call(command[0], ...command.slice(1))) as T;
  } finally {
    c.disconnect();
  }
}

beforeAll(async () => {
  requireBinary(REDIS_SERVER);
  const address = async (host: string): Promise<Address> => ({ host, port: await freePort() });
  const master = await address("127.0.0.2");
  const replica = await address("127.0.0.3");
  const sentinels = [await address("127.0.0.4"), await address("127.0.0.5"), await address("127.0.0.6")];
  const layout = (self: Address, template: string): RedisHaLayout => {
    const dir = serviceDir("orion-redis-ha-");
    return { self, sentinels, plannedMaster: master, template: join(dir, template), dataDir: dir };
  };
  for (const [i, s] of sentinels.entries()) {
    const l = layout(s, "sentinel.template.conf");
    writeServiceFile(l.dataDir, "sentinel.template.conf", sentinelSeedConf(l, service("redis", "redis-sentinel")));
    instances[`sentinel-${i + 1}`] = { name: `sentinel-${i + 1}`, layout: l, script: sentinelStartScript(l) };
  }
  for (const [name, self, planService] of [
    ["redis", master, service("redis", "redis")],
    ["redis-replica", replica, service("redis-replica", "redis-replica")],
  ] as const) {
    const l = layout(self, "redis.template.conf");
    writeServiceFile(l.dataDir, "redis.template.conf", redisConfFor(planService));
    instances[name] = { name, layout: l, script: redisStartScript(l) };
  }
  // Sentinels first, as after a reboot of the app server; the Redis start scripts ask them for the master.
  for (const i of [1, 2, 3]) await start(instances[`sentinel-${i}`]);
  await start(instances.redis);
  await start(instances["redis-replica"]);
  await waitFor(
    "Sentinels to know each other and the replica",
    async () => {
      const ok = await Promise.all(
        sentinels.map(async (s) => {
          const info = await ask<string[]>(s, "SENTINEL", "MASTER", SENTINEL_MASTER);
          const field = (k: string) => Number(info[info.indexOf(k) + 1]);
          return field("num-other-sentinels") === 2 && field("num-slaves") === 1;
        }),
      );
      return ok.every(Boolean);
    },
    60_000,
  );
}, 180_000);

afterAll(async () => {
  for (const s of started.reverse()) await s.stop();
});

const self = (name: string) => instances[name].layout.self;
const field = (list: string[], key: string) => list[list.indexOf(key) + 1];

describe("Redis Sentinel in the enterprise stage, started by the containers' scripts", () => {
  it("every Sentinel and the replica are known at the address they announce, not the one their connections come from", async () => {
    const peers = await ask<string[][]>(self("sentinel-1"), "SENTINEL", "SENTINELS", SENTINEL_MASTER);
    expect(peers.map((p) => `${field(p, "ip")}:${field(p, "port")}`).sort()).toEqual(
      [self("sentinel-2"), self("sentinel-3")].map((a) => `${a.host}:${a.port}`).sort(),
    );
    const replicas = await ask<string[][]>(self("sentinel-1"), "SENTINEL", "REPLICAS", SENTINEL_MASTER);
    expect(replicas.map((r) => `${field(r, "ip")}:${field(r, "port")}`)).toEqual([
      `${self("redis-replica").host}:${self("redis-replica").port}`,
    ]);
  });

  it("promotes the replica when the master dies, within detection plus failover time, keeping every write acknowledged by WAIT", async () => {
    const master = client(self("redis"));
    const acknowledged: string[] = [];
    for (let i = 0; i < 500; i++) {
      await master.lpush("celery", `task-${i}`);
      // WAIT 1: the write is on at least one replica before the producer counts it as sent.
      const replicas = (await master.call("WAIT", "1", "1000")) as number;
      if (replicas >= 1) acknowledged.push(`task-${i}`);
    }
    master.disconnect();
    expect(acknowledged.length).toBeGreaterThan(450);

    const killedAt = performance.now();
    instances.redis.server!.process.kill("SIGKILL");
    let promotedAfterMs = 0;
    await waitFor(
      "failover",
      async () => {
        const [host, port] = await ask<[string, string]>(
          self("sentinel-2"),
          "SENTINEL",
          "GET-MASTER-ADDR-BY-NAME",
          SENTINEL_MASTER,
        );
        if (`${host}:${port}` !== `${self("redis-replica").host}:${self("redis-replica").port}`) return false;
        promotedAfterMs = performance.now() - killedAt;
        return true;
      },
      DOWN_AFTER_MS + FAILOVER_TIMEOUT_MS,
    );
    await waitFor(
      "the promoted replica to accept writes",
      async () => (await ask<string[]>(self("redis-replica"), "ROLE"))[0] === "master",
      30_000,
    );
    const kept = new Set(await ask<string[]>(self("redis-replica"), "LRANGE", "celery", "0", "-1"));
    expect(acknowledged.filter((task) => !kept.has(task))).toEqual([]);
    // Not before the master has been silent for down-after-milliseconds: an earlier promotion would split the brain on a slow network.
    expect(promotedAfterMs).toBeGreaterThanOrEqual(DOWN_AFTER_MS);
    expect(promotedAfterMs).toBeLessThanOrEqual(DOWN_AFTER_MS + FAILOVER_TIMEOUT_MS);
    process.stdout.write(
      `Sentinel: replica promoted ${Math.round(promotedAfterMs)} ms after the master died (down-after ${DOWN_AFTER_MS} ms, failover-timeout ${FAILOVER_TIMEOUT_MS} ms); all ${acknowledged.length} WAIT-acknowledged writes kept\n`,
    );
  }, 120_000);

  it("the old master, restarted, asks the Sentinels and comes back as a replica of the new master: no second master", async () => {
    const restartedAt = performance.now();
    await start({ ...instances.redis, name: "the old master again" });
    const newMaster = self("redis-replica");
    await waitFor(
      "the old master to replicate from the new one",
      async () => {
        const role = await ask<(string | number)[]>(self("redis"), "ROLE");
        return (
          role[0] === "slave" &&
          role[1] === newMaster.host &&
          Number(role[2]) === newMaster.port &&
          role[3] === "connected"
        );
      },
      60_000,
    );
    await ask(newMaster, "LPUSH", "celery", "after-restart");
    await waitFor(
      "the write to reach the old master",
      async () => (await ask<string[]>(self("redis"), "LRANGE", "celery", "0", "0"))[0] === "after-restart",
      30_000,
    );
    process.stdout.write(
      `Sentinel: the old master rejoined as a replica ${Math.round(performance.now() - restartedAt)} ms after its restart\n`,
    );
  }, 90_000);

  it("a Sentinel restarted keeps what it learned: the new master, its peers and its own ID", async () => {
    const sentinel = instances["sentinel-1"];
    const idBefore = field(await ask<string[]>(sentinel.layout.self, "SENTINEL", "MASTER", SENTINEL_MASTER), "runid");
    const myIdLine = () =>
      /^sentinel myid (\w+)$/m.exec(readFileSync(join(sentinel.layout.dataDir, "sentinel.conf"), "utf8"))?.[1];
    const myId = myIdLine();
    await sentinel.server!.stop();
    const live = readFileSync(join(sentinel.layout.dataDir, "sentinel.conf"), "utf8");
    const newMaster = self("redis-replica");
    expect(live).toMatch(
      new RegExp(
        `^sentinel monitor ${SENTINEL_MASTER} ${newMaster.host.replace(/\./g, "\\.")} ${newMaster.port} 2$`,
        "m",
      ),
    );
    expect(live).toMatch(
      new RegExp(`^sentinel announce-ip "?${sentinel.layout.self.host.replace(/\./g, "\\.")}"?$`, "m"),
    );
    await start(sentinel);
    const [host, port] = await ask<[string, string]>(
      sentinel.layout.self,
      "SENTINEL",
      "GET-MASTER-ADDR-BY-NAME",
      SENTINEL_MASTER,
    );
    expect(`${host}:${port}`).toBe(`${newMaster.host}:${newMaster.port}`);
    expect(myIdLine()).toBe(myId);
    expect(idBefore).toBeTruthy();
  }, 90_000);
});

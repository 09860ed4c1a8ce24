import Redis from "ioredis";
import { redisConfFor } from "../../model/render/service-configs";
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

/** The growth stage's Redis: the guide's 100 MB maxmemory in a 128 MB container, as the Celery broker and cache. */
const redisService = planFor("growth").servers[0].services.find((s) => s.name === "redis")!;
const MB = 1024 * 1024;

let server: RunningServer;
let redis: Redis;

beforeAll(async () => {
  requireBinary(REDIS_SERVER);
  const dir = serviceDir("orion-redis-");
  const conf = writeServiceFile(dir, "redis.conf", redisConfFor(redisService));
  const port = await freePort();
  // Arguments after the file override it: only the address, port and data directory move.
  server = startProcess(REDIS_SERVER, [conf, "--port", String(port), "--bind", "127.0.0.1", "--dir", dir], {
    serviceUser: true,
    port,
    dir,
  });
  await waitFor("Redis", () => server.log().includes("Ready to accept connections"), 30_000, server);
  redis = new Redis({ host: "127.0.0.1", port, maxRetriesPerRequest: 0 });
  expect(await redis.ping()).toBe("PONG");
}, 60_000);

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

const used = async () => Number(/used_memory:(\d+)/.exec(await redis.info("memory"))![1]);
const evicted = async () => Number(/evicted_keys:(\d+)/.exec(await redis.info("stats"))![1]);

describe("Redis with the generated configuration", () => {
  it("reports the generated maxmemory and eviction policy", async () => {
    expect(await redis.config("GET", "maxmemory")).toEqual(["maxmemory", String(redisService.redis!.maxmemoryMb * MB)]);
    expect(await redis.config("GET", "maxmemory-policy")).toEqual(["maxmemory-policy", "volatile-lru"]);
    expect(await redis.config("GET", "appendonly")).toEqual(["appendonly", "yes"]);
  });

  it("filled past maxmemory with cache keys and a broker queue, evicts cache keys and keeps every queued task", async () => {
    const task = (i: number) =>
      JSON.stringify({ id: `task-${i}`, task: "orion.sync_store", args: [i], pad: "x".repeat(900) });
    const cacheValue = "c".repeat(10 * 1024);
    let queued = 0;
    // Interleave: 1,000 tasks (about 1 MB) for every 1,000 cache keys (about 10 MB), to 150 MB offered in all.
    for (let round = 0; round < 14; round++) {
      const batch = redis.pipeline();
      for (let i = 0; i < 1000; i++) batch.lpush("celery", task(queued + i));
      for (let i = 0; i < 1000; i++) batch.set(`cache:${round}:${i}`, cacheValue, "EX", 3600);
      const results = await batch.exec();
      expect(results!.filter(([err]) => err)).toEqual([]);
      queued += 1000;
    }
    const keptCacheKeys = (await redis.keys("cache:*")).length;
    const evictedKeys = await evicted();
    expect(evictedKeys).toBeGreaterThan(0);
    expect(keptCacheKeys).toBeLessThan(14_000);
    expect(await redis.llen("celery")).toBe(queued);
    expect(await used()).toBeLessThanOrEqual(redisService.redis!.maxmemoryMb * MB * 1.05);
    process.stdout.write(
      `Redis: ${queued} broker entries kept, ${evictedKeys} cache keys evicted, ${keptCacheKeys} kept\n`,
    );
  });

  it("refuses writes with an OOM error once memory is full of broker data, and loses no entry it accepted", async () => {
    await redis.del(...(await redis.keys("cache:*")));
    let accepted = await redis.llen("celery");
    let refused: Error | undefined;
    const bigTask = "t".repeat(64 * 1024);
    for (let i = 0; i < 5000 && !refused; i++) {
      try {
        await redis.lpush("celery", bigTask);
        accepted += 1;
      } catch (error) {
        refused = error as Error;
      }
    }
    expect(refused?.message).toMatch(/^OOM command not allowed when used memory > 'maxmemory'/);
    expect(await redis.llen("celery")).toBe(accepted);
    process.stdout.write(
      `Redis: writes refused with "${refused!.message.split(".")[0]}" after ${accepted} broker entries, none lost\n`,
    );
  });
});

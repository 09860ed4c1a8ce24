import { BED_DOMAIN, TestBed, type UpResult } from "../bed";
import { report, stackState } from "../checks";
import type { HttpAnswer } from "../probes";
import { sleep, waitUntil } from "../run";
import { expectStage, lookAtStage } from "../stage-checks";

/**
 * growth -> scale: growth deployed from scratch and checked as every stage
 * is (stage-checks.ts); then one `pulumi up` moves PostgreSQL, and its
 * pgdata volume, from the app server to the new db server with the real
 * release script and mount helper, while the app keeps writing through the
 * API; then scale is checked the same way.
 */
const GROWTH = { stage: "growth", tlsIssuer: "internal" };
const SCALE = { stage: "scale", tlsIssuer: "internal" };
/** Rows in the database before the move (besides what the app writes during it). */
const SEED_ROWS = 50_000;
let bed: TestBed;
let growthUp: UpResult;
let scaleUp: UpResult | undefined;

beforeAll(async () => {
  bed = await TestBed.start({ config: GROWTH, servers: ["app", "db"] });
  growthUp = await bed.up();
  if (!growthUp.ok) throw new Error(`the growth deploy failed:\n${growthUp.commands.map(TestBed.describe).join("\n")}`);
}, 45 * 60_000);

afterAll(async () => {
  await bed?.stop();
}, 300_000);

async function psql(server: string, sql: string): Promise<string> {
  return (
    await bed.host(server).docker(["exec", "orion-db-1", "psql", "-U", "orion", "-d", "orion", "-Atc", sql])
  ).stdout.trim();
}

/** The longest time between two acknowledged writes, and when it started. */
function longestPause(records: HttpAnswer[]): { ms: number; from: number } {
  const acked = records.filter((r) => r.status === 200).map((r) => r.end);
  let best = { ms: 0, from: 0 };
  for (let i = 1; i < acked.length; i++)
    if (acked[i] - acked[i - 1] > best.ms) best = { ms: acked[i] - acked[i - 1], from: acked[i - 1] };
  return best;
}

describe("growth -> scale on real hosts", () => {
  it("growth deployed from scratch: every container healthy with exactly the planned memory limit; the API through Caddy over HTTPS; only 22, 80 and 443 public, and on the private network only ports another server uses", async () => {
    expectStage(await lookAtStage(bed, "growth from scratch", growthUp));
  }, 900_000);

  it(
    "moves the database to the db server while the app writes: 0 committed rows lost, the write pause measured",
    async () => {
      const first = await bed.https("/rows?note=before-the-move", { method: "POST" });
      expect(first.status).toBe(200);
      await psql(
        "app",
        `INSERT INTO rows (written_by, host, note) SELECT 'seed', 'seed', repeat('x', 200) FROM generate_series(1, ${SEED_ROWS})`,
      );
      // The stand-in app's own tasks write rows too; the rows that existed before the move are those up to this id (one snapshot for both).
      const [seeded, lastIdBefore] = (await psql("app", "SELECT count(*), max(id) FROM rows")).split("|").map(Number);

      const ca = await bed.caddyRootCa(bed.host("app"));
      await bed.operator.startLoop("writer", {
        url: `https://${BED_DOMAIN}/rows?note=during-the-move`,
        method: "POST",
        connectTo: bed.host("app").publicIp,
        ca,
        timeoutMs: 10_000,
      });
      await sleep(5_000);
      const upAt = Date.now();
      const up = await bed.up(SCALE);
      scaleUp = up;
      const upMs = Date.now() - upAt;
      // Writes resume once the new API reaches PgBouncer and PostgreSQL on the db server.
      let records: HttpAnswer[] = [];
      try {
        await waitUntil(
          "writes to succeed after the move",
          async () => (await bed.https("/rows?note=probe", { method: "POST" })).status === 200,
          300_000,
          1000,
        );
        await sleep(5_000);
      } finally {
        records = await bed.operator.stopLoop("writer");
      }
      expect(up.commands.filter((c) => c.outcome === "ran" && c.code !== 0).map(TestBed.describe)).toEqual([]);
      expect(up.ok).toBe(true);
      expect(up.moved).toEqual([{ volume: "pgdata", from: "app", to: "db" }]);

      const acked = records.filter((r) => r.status === 200).map((r) => (JSON.parse(r.body!) as { id: number }).id);
      const failed = records.filter((r) => r.status !== 200).length;
      const present = new Set(
        (await psql("db", `SELECT id FROM rows WHERE note = 'during-the-move'`))
          .split("\n")
          .filter(Boolean)
          .map(Number),
      );
      const lost = acked.filter((id) => !present.has(id));
      const total = Number(await psql("db", `SELECT count(*) FROM rows WHERE id <= ${lastIdBefore}`));
      const sharedBuffers = await psql("db", "SHOW shared_buffers");
      const pause = longestPause(records);
      const state = await stackState(bed);
      const timeOf = (name: string) => up.commands.find((c) => c.name === name);

      report("growth -> scale: the database moves", [
        `${seeded} rows before the move; ${acked.length} writes acknowledged during it (${failed} refused or failed while the database was away), ${lost.length} of them lost`,
        `longest pause between acknowledged writes: ${(pause.ms / 1000).toFixed(1)} s (pulumi up took ${(upMs / 1000).toFixed(1)} s; the db server's host and images were ready before the release)`,
        `app-release-pgdata ${((timeOf("app-release-pgdata")?.ms ?? 0) / 1000).toFixed(1)} s, db-deploy ${((timeOf("db-deploy")?.ms ?? 0) / 1000).toFixed(1)} s, app-deploy ${((timeOf("app-deploy")?.ms ?? 0) / 1000).toFixed(1)} s`,
        `PostgreSQL on the db server: shared_buffers ${sharedBuffers}; ${Object.values(state.containers).flat().length} containers, ${state.unhealthy.length} not healthy, ${state.mismatches.length} memory limit mismatches`,
      ]);
      expect(acked.length).toBeGreaterThan(0);
      expect(lost).toEqual([]);
      expect(total).toBe(seeded);
      expect(sharedBuffers).toBe("1GB");
      expect((await bed.host("app").containers()).some((c) => c.service === "db")).toBe(false);
      expect(state.unhealthy).toEqual([]);
      expect(state.mismatches).toEqual([]);
    },
    30 * 60_000,
  );

  it("scale after the move: every container healthy with exactly the planned memory limit; the API through Caddy over HTTPS; only 22, 80 and 443 public, and on the private network only ports another server uses", async () => {
    if (!scaleUp) throw new Error("the move to scale did not run");
    expectStage(await lookAtStage(bed, "scale after the move", scaleUp));
  }, 900_000);
});

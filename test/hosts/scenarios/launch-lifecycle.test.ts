import { TestBed, type UpResult } from "../bed";
import { report, stackState, waitHealthy } from "../checks";
import type { ContainerState } from "../host";
import { waitUntil } from "../run";
import { expectStage, lookAtStage } from "../stage-checks";

/**
 * One launch server deployed from scratch, then through what happens to it
 * after the first deploy: the same deploy again, a deploy that breaks, and a
 * reboot where the volume is not mounted in time.
 */
const CONFIG = { stage: "launch", tlsIssuer: "internal" };
let bed: TestBed;
let first: UpResult;

beforeAll(async () => {
  bed = await TestBed.start({ config: CONFIG });
  first = await bed.up();
  if (!first.ok) throw new Error(`the first deploy failed:\n${first.commands.map(TestBed.describe).join("\n")}`);
}, 45 * 60_000);

afterAll(async () => {
  await bed?.stop();
}, 300_000);

const byId = (list: ContainerState[]) => new Map(list.map((c) => [c.id, c]));

/** Containers replaced (a new ID for the service) and restarted (same ID, a new start time) between two looks. */
function changes(before: ContainerState[], after: ContainerState[]): { recreated: string[]; restarted: string[] } {
  const old = byId(before);
  return {
    recreated: after.filter((c) => !old.has(c.id)).map((c) => c.name),
    restarted: after.filter((c) => old.has(c.id) && old.get(c.id)!.startedAt !== c.startedAt).map((c) => c.name),
  };
}

async function writeRows(count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const answer = await bed.https(`/rows?note=launch-${i}`, { method: "POST" });
    if (answer.status !== 200) throw new Error(`POST /rows answered ${answer.status ?? answer.error}: ${answer.body}`);
    ids.push((JSON.parse(answer.body!) as { id: number }).id);
  }
  return ids;
}

/** Row IDs in the database, read on the server with psql in the db container. */
async function rowIds(): Promise<number[]> {
  const out = await bed
    .host("app")
    .docker(["exec", "orion-db-1", "psql", "-U", "orion", "-d", "orion", "-Atc", "SELECT id FROM rows ORDER BY id"]);
  return out.stdout.split("\n").filter(Boolean).map(Number);
}

describe("a launch server after its first deploy", () => {
  it("deployed from scratch: every container healthy with exactly the planned memory limit; the API through Caddy over HTTPS; only 22, 80 and 443 public, and on the private network only ports another server uses", async () => {
    expectStage(await lookAtStage(bed, "launch from scratch", first));
  }, 900_000);

  it("re-running the deploy with the same inputs recreates 0 containers and restarts none", async () => {
    const app = bed.host("app");
    const before = await app.containers();
    const again = await bed.redeploy("app");
    const after = await app.containers();
    const { recreated, restarted } = changes(before, after);
    report("launch: the same deploy again", [
      `deploy exit ${again.code} in ${((again.ms ?? 0) / 1000).toFixed(1)} s`,
      `${before.length} containers: ${recreated.length} recreated, ${restarted.length} restarted`,
    ]);
    expect(again.code).toBe(0);
    expect(recreated).toEqual([]);
    expect(restarted).toEqual([]);
  }, 900_000);

  it("a deploy with a broken step exits non-zero, and the previous stack keeps answering", async () => {
    const app = bed.host("app");
    const before = await app.containers();
    // A typo in the app image's tag: no registry has it, so the step that gets it fails.
    const broken = await bed.up({ ...CONFIG, appImage: "orion/orion:1.0.1-typo" });
    const deploy = broken.commands.find((c) => c.name === "app-deploy")!;
    const after = await app.containers();
    const { recreated, restarted } = changes(before, after);
    const health = await bed.https("/health");
    const written = await writeRows(1);
    const state = await stackState(bed);
    report("launch: a deploy with a broken step", [
      `app-deploy exit ${deploy.code}: ${(deploy.output ?? "").trim().split("\n").slice(-1)[0]}`,
      `afterwards: ${recreated.length} containers recreated, ${restarted.length} restarted, ${state.unhealthy.length} not healthy; GET /health ${health.status}; POST /rows wrote id ${written[0]}`,
    ]);
    expect(deploy.outcome).toBe("ran");
    expect(deploy.code).not.toBe(0);
    expect(broken.ok).toBe(false);
    expect(recreated).toEqual([]);
    expect(health.status).toBe(200);
    expect(state.unhealthy).toEqual([]);

    // The fixed config deploys again and converges without touching what runs.
    const fixed = await bed.up(CONFIG);
    expect(fixed.commands.find((c) => c.name === "app-deploy")!.code).toBe(0);
    expect(changes(after, await app.containers()).recreated).toEqual([]);
  }, 1_800_000);

  it("after a reboot with the volume unmounted, everything but PostgreSQL comes back and no initdb happens; mounting the volume brings PostgreSQL back with every row", async () => {
    const app = bed.host("app");
    const written = await writeRows(25);
    const rowsBefore = await rowIds();
    expect(rowsBefore).toEqual(expect.arrayContaining(written));

    const isDb = (c: ContainerState) => c.service === "db";
    const restartsBefore = (await app.containers()).find(isDb)!.restartCount;
    const rebootAt = Date.now();
    await app.reboot({ mountFstab: false });
    const back = await waitHealthy(bed, ["app"], 600_000, isDb);
    const stackBackMs = Date.now() - rebootAt;
    // Each start of the db container is a chance to do the wrong thing (an initdb on the root disk): let it try three times.
    const db = await waitUntil(
      "PostgreSQL refused three starts",
      async () => {
        const c = (await app.containers()).find(isDb);
        return c && c.restartCount >= restartsBefore + 3 ? c : undefined;
      },
      300_000,
      1000,
    );
    const initdbs = (
      await app.exec("find /mnt/pgdata /var/lib/docker/volumes -name PG_VERSION 2>/dev/null; true")
    ).stdout.trim();
    const health = await bed.https("/health");

    const mountAt = Date.now();
    const mounted = await bed.ssh(app, "sudo /usr/local/sbin/orion-mount-volume mount /mnt/pgdata");
    expect(mounted.code).toBe(0);
    try {
      await waitUntil(
        "PostgreSQL healthy on the mounted volume",
        async () => (await app.containers()).find(isDb)?.health === "healthy",
        600_000,
        2000,
      );
    } catch (error) {
      const mounts = await app.exec("grep -E ' /mnt' /proc/self/mountinfo; cat /etc/fstab; ls -la /mnt/pgdata", {
        allowFail: true,
      });
      throw new Error(
        `${(error as Error).message}\nthe helper said: ${mounted.stdout}${mounted.stderr}\nmounts on the host:\n${mounts.stdout}${mounts.stderr}${await bed.diagnose(app)}\ndockerd:\n${app.log("dockerd", 40)}`,
      );
    }
    const dbBackMs = Date.now() - mountAt;
    const rowsAfter = await rowIds();
    const lost = rowsBefore.filter((id) => !rowsAfter.includes(id));

    report("launch: reboot with the volume unmounted", [
      `everything but PostgreSQL healthy ${(stackBackMs / 1000).toFixed(1)} s after power-on (${Object.values(back.containers).flat().length - 1} containers); GET /health ${health.status}`,
      `PostgreSQL meanwhile: ${db.status}${db.health ? `/${db.health}` : ""}, ${db.restartCount - restartsBefore} restarts; clusters created on the root disk: ${initdbs ? initdbs.split("\n").length : 0}`,
      `volume mounted with the mount helper: PostgreSQL healthy ${(dbBackMs / 1000).toFixed(1)} s later with ${rowsAfter.length} rows (${rowsBefore.length} before the reboot, ${lost.length} lost)`,
    ]);
    expect(health.status).toBe(200);
    expect(db.health).not.toBe("healthy");
    expect(initdbs).toBe("");
    expect(lost).toEqual([]);
    expect(rowsAfter.length).toBeGreaterThanOrEqual(rowsBefore.length);
  }, 2_400_000);
});

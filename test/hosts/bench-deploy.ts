import type { StageName } from "../../model/stages";
import { TestBed } from "./bed";
import { COMPOSE_PROJECT } from "../../model/render/compose";
import { DEPLOY_DIR } from "../../model/render/server-files";

/**
 * `npm run bench`'s deploy figure on the real-hosts test bed: the stage's
 * hosts start once and take their first deploy (images loaded); then, `runs`
 * times, the app server's containers are taken down (images, volume and
 * files stay) and its deploy script runs again over SSH, timed from the
 * script's start to its end, which is `docker compose up --wait` seeing every
 * container healthy. The bed runs Engine 26, as the servers do, so a starting
 * service is probed every second (start-interval.ts); on an engine before 25
 * (`ORION_TESTBED_ENGINE=machine`) each waits a full interval for its first probe.
 */
export async function measureDeployOnBed(
  stage: StageName,
  runs: number,
): Promise<{ seconds: number[]; first: number } | { notMeasured: string }> {
  if (process.getuid?.() !== 0)
    return { notMeasured: "the test bed needs root (network namespaces, Docker engines): run the bench as root" };
  const bed = await TestBed.start({ config: { stage, tlsIssuer: "internal" }, servers: ["app"] });
  try {
    const up = await bed.up();
    if (!up.ok) throw new Error(`the first deploy failed:\n${up.commands.map(TestBed.describe).join("\n")}`);
    const first = (up.commands.find((c) => c.name === "app-deploy")?.ms ?? 0) / 1000;
    const seconds: number[] = [];
    for (let i = 0; i < runs; i++) {
      const down = await bed.ssh(
        bed.host("app"),
        `cd ${DEPLOY_DIR} && docker compose -p ${COMPOSE_PROJECT} --profile full down --timeout 60`,
      );
      if (down.code !== 0) throw new Error(`docker compose down failed: ${down.stdout}${down.stderr}`);
      const deploy = await bed.redeploy("app");
      if (deploy.code !== 0) throw new Error(TestBed.describe(deploy));
      seconds.push((deploy.ms ?? 0) / 1000);
    }
    return { seconds, first };
  } finally {
    await bed.stop();
  }
}

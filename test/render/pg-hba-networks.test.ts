import { parse } from "yaml";
import { readPgHba } from "../../model/render/conf-readers";
import { renderCompose } from "../../model/render/compose";
import { pgHbaFor } from "../../model/render/service-configs";
import { STAGE_NAMES } from "../../model/stages";
import { planFor } from "../helpers";

interface Compose {
  services: Record<string, { networks?: string[] }>;
  networks: Record<string, { ipam?: { config?: { subnet: string }[] } }>;
}

/**
 * PostgreSQL joins `edge` too (pgBackRest reaches Object Storage), and
 * compose's DNS may answer `db` with the address on either network to a
 * client on both (the real-hosts test bed saw Celery refused by pg_hba.conf
 * from the edge address). So every network the database is on has a fixed
 * subnet, and pg_hba.conf admits each one.
 */
describe.each(STAGE_NAMES)("the %s stage's PostgreSQL", (stage) => {
  const plan = planFor(stage, { backupBucket: "orion-prod-backups" });

  it("admits clients from every compose network it is on, each with a fixed subnet", () => {
    const admitted = readPgHba(pgHbaFor(plan))
      .filter((r) => r.type === "host")
      .map((r) => r.address);
    for (const server of plan.servers.filter((s) =>
      s.services.some((x) => x.name === "db" || x.name === "db-replica"),
    )) {
      const compose = parse(renderCompose(plan, server)) as Compose;
      for (const name of ["db", "db-replica"].filter((n) => compose.services[n])) {
        const subnets = (compose.services[name].networks ?? []).map(
          (n) => compose.networks[n]?.ipam?.config?.[0]?.subnet,
        );
        expect({ server: server.name, subnets: subnets.map((s) => s !== undefined && admitted.includes(s)) }).toEqual({
          server: server.name,
          subnets: subnets.map(() => true),
        });
      }
    }
  });
});

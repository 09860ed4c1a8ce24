import { OBJECT_STORAGE } from "../../model/backup";
import { HETZNER_EXTRAS } from "../../model/catalog";
import { readIniSections } from "../../model/render/conf-readers";
import { serverTypeOf } from "./servers";
import { LOAD_BALANCER_RESOURCE_TYPE, VOLUME_TYPE, type Deployment, type StackView } from "./stack";

const round2 = (eur: number) => Math.round(eur * 100) / 100;

/** A deploy that writes a pgBackRest config with an S3 repository. */
function sendsBackupsToS3(d: Deployment): boolean {
  return [...d.files.values()].some(
    (f) =>
      /(^|\/)pgbackrest\.conf$/.test(f.path) &&
      Object.values(readIniSections(f.content)).some((section) => section.get("repo1-type")?.value === "s3"),
  );
}

/** What the stack's Hetzner resources cost a month, from their types and sizes (the same rounding as the plan). */
export function monthlyCostOf(view: StackView): { totalEur: number; lines: string[] } {
  const servers = view.servers.map((s) => ({
    name: s.name,
    eur: serverTypeOf(s)?.priceEurMonthly ?? 0,
    backups: s.props.backups === true,
  }));
  const serversEur = round2(servers.reduce((sum, s) => sum + s.eur, 0));
  const backupsEur = round2(
    servers.filter((s) => s.backups).reduce((sum, s) => sum + s.eur * HETZNER_EXTRAS.backupShareOfServerPrice, 0),
  );
  const volumesEur = round2(
    view.resources
      .filter((r) => r.type === VOLUME_TYPE)
      .reduce((sum, v) => sum + Number(v.props.size ?? 0) * HETZNER_EXTRAS.volumePerGbEurMonthly, 0),
  );
  const balancers = view.resources.filter((r) => r.type === LOAD_BALANCER_RESOURCE_TYPE);
  const loadBalancerEur = round2(balancers.length * HETZNER_EXTRAS.loadBalancerEurMonthly);
  // Object Storage is no Hetzner Cloud resource: a deploy that sends backups to S3 is what buys it (one base price per project).
  const objectStorageEur = view.deployments.some(sendsBackupsToS3) ? OBJECT_STORAGE.baseEurMonthly : 0;
  const lines = [`servers ${servers.map((s) => s.name).join(", ")}: ${serversEur.toFixed(2)} EUR`];
  if (backupsEur > 0) lines.push(`backups ${backupsEur.toFixed(2)} EUR`);
  if (volumesEur > 0) lines.push(`volumes ${volumesEur.toFixed(2)} EUR`);
  if (loadBalancerEur > 0) lines.push(`load balancer ${loadBalancerEur.toFixed(2)} EUR`);
  if (objectStorageEur > 0) lines.push(`Object Storage ${objectStorageEur.toFixed(2)} EUR`);
  return { totalEur: round2(serversEur + volumesEur + loadBalancerEur + backupsEur + objectStorageEur), lines };
}

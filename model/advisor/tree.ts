import { SERVER_TYPES, maxUvicornWorkers } from "../catalog";
import { ConfigError, parseConfig } from "../config";
import { METRICS } from "../monitoring/metrics";
import { plan, stageForLoad, type Plan } from "../plan";
import { STAGE_NAMES, STAGES, type StageName } from "../stages";
import { QUESTIONS, type Measurement, type Measurements, type Question } from "./queries";

export interface Step {
  question: string;
  reading: string;
  values: Measurement;
  unit: string;
  answer: boolean;
  /** Servers whose value is over the threshold. */
  over: string[];
}

export type Leaf = "upgrade-server" | "pgbouncer-or-pool" | "workers-or-cpu" | "disk" | "celery-replicas" | "none";

export interface Advice {
  stage: StageName;
  path: Step[];
  leaf: Leaf;
  /** The guide's words for the action. */
  action: string;
  detail: string;
  /** `pulumi config set` lines, where the action is a config or stage change. */
  commands: string[];
  cost?: { currentEur: number; proposedEur: number; deltaEur: number };
  /** The guide's timeline against the clients and stores given, if any. */
  secondOpinion?: string;
}

/** A metric the walk needed but Prometheus does not have: names the exporter or job that should provide it. */
export class MissingMetricError extends Error {
  constructor(
    readonly question: string,
    readonly job: string,
    readonly query: string,
  ) {
    super(
      `no data for "${question}": ${query} returned nothing; check that the ${job} job is scraped (Prometheus targets page) and up`,
    );
    this.name = "MissingMetricError";
  }
}

type Raw = Record<string, unknown>;
type Change = Record<string, string | number>;

function ask(id: Question["id"], measurements: Measurements): Step {
  const q = QUESTIONS[id];
  const values = measurements[id];
  if (values.length === 0) throw new MissingMetricError(q.text, METRICS[q.metric].job, q.promql("<window>"));
  const over = values.filter((v) => v.value > q.threshold).map((v) => v.server);
  return { question: q.text, reading: q.reading, values, unit: q.unit, answer: over.length > 0, over };
}

/** Plans raw config with changes applied; undefined when the model refuses it (it would not fit). */
function tryPlan(raw: Raw, change: Change): Plan | undefined {
  const merged: Raw = { ...raw };
  for (const [key, value] of Object.entries(change)) {
    const [top, sub] = key.split(".");
    if (sub) merged[top] = { ...(raw[top] ?? {}), [sub]: value };
    else merged[top] = value;
  }
  try {
    return plan(parseConfig(merged));
  } catch (error) {
    if (error instanceof ConfigError) return undefined;
    throw error;
  }
}

/** The first change that the model accepts (and that does what the leaf asks, where `helps` says), with its plan. */
function firstFitting(
  raw: Raw,
  candidates: Change[],
  helps: (p: Plan) => boolean = () => true,
): { change: Change; plan: Plan } | undefined {
  for (const change of candidates) {
    const p = tryPlan(raw, change);
    if (p && helps(p)) return { change, plan: p };
  }
  return undefined;
}

/** `pulumi config set`, with --path where the key is inside a map (`serverTypes.app`), as Pulumi needs it. */
export function configSetCommand(key: string, value: string | number): string {
  return `pulumi config set ${key.includes(".") ? "--path " : ""}orion:${key} ${value}`;
}

const laterStages = (stage: StageName) => STAGE_NAMES.slice(STAGE_NAMES.indexOf(stage) + 1);

function serverOf(current: Plan, name: string) {
  return current.servers.find((s) => s.name === name) ?? current.servers[0];
}

/** Larger types the stage allows for a server's role, smallest first. */
function largerTypes(current: Plan, serverName: string): string[] {
  const server = serverOf(current, serverName);
  const spec = STAGES[current.stage].servers.find((s) => s.role === server.role)!;
  return spec.allowedTypes
    .filter((t) => SERVER_TYPES[t].ramMb > server.ramMb)
    .sort((a, b) => SERVER_TYPES[a].ramMb - SERVER_TYPES[b].ramMb);
}

function candidatesFor(leaf: Leaf, current: Plan, over: string[]): Change[] {
  const next = laterStages(current.stage);
  const worst = over[0] ?? current.servers[0].name;
  switch (leaf) {
    case "upgrade-server": {
      const role = serverOf(current, worst).role;
      // A later stage may keep the server's type (early-growth and growth both run a CAX21): offer it with the larger types it allows too.
      const laterTypes = (stage: StageName) =>
        (STAGES[stage].servers.find((s) => s.role === role)?.allowedTypes.slice(1) ?? []).map((t) => ({
          stage,
          [`serverTypes.${role}`]: t,
        }));
      return [
        ...largerTypes(current, worst).map((t) => ({ [`serverTypes.${role}`]: t })),
        ...next.flatMap((stage) => [{ stage }, ...laterTypes(stage)]),
      ];
    }
    case "pgbouncer-or-pool": {
      if (!current.connections.viaPgBouncer) return [{ stage: "growth" }, ...next.map((stage) => ({ stage }))];
      // PgBouncer is in place and its pool is the guide's 20: give the database more room.
      const db = current.servers.find((s) => s.services.some((x) => x.name === "db"))!;
      const enterpriseReplicas =
        current.stage === "enterprise"
          ? [{ dbReplicas: current.servers.filter((s) => s.role === "db-replica").length + 1 }]
          : [];
      return [
        ...(db.role === "app"
          ? next.map((stage) => ({ stage }))
          : largerTypes(current, db.name).map((t) => ({ [`serverTypes.${db.role}`]: t }))),
        ...enterpriseReplicas,
        ...next.map((stage) => ({ stage })),
      ];
    }
    case "workers-or-cpu": {
      const apiServer = current.servers.find((s) => s.services.some((x) => x.name === "api"))!;
      const workers = apiServer.services.find((x) => x.name === "api")!.api!.uvicornWorkers;
      const max = maxUvicornWorkers(SERVER_TYPES[apiServer.type]);
      const more = [...new Set([Math.min(max, workers * 2), Math.min(max, workers + 1)])]
        .filter((w) => w > workers)
        .map((w) => ({ uvicornWorkers: w }));
      return [
        ...more,
        ...largerTypes(current, apiServer.name).map((t) => ({ [`serverTypes.${apiServer.role}`]: t })),
        ...next.map((stage) => ({ stage })),
      ];
    }
    case "disk": {
      // The question reads `/`, the root disk; PostgreSQL's data is on the pgdata volume, so growing
      // that would not help. The root disk grows only with a type change that leaves keepDisk
      // (model/disk.ts): a larger type in this stage, else the next stage that has one.
      const server = serverOf(current, worst);
      const grow = { [`keepDisk.${server.name}`]: "false" };
      return [
        ...largerTypes(current, worst).map((t) => ({ ...grow, [`serverTypes.${server.role}`]: t })),
        ...next.map((stage) => ({ ...grow, stage })),
      ];
    }
    case "celery-replicas": {
      const worker = current.servers.flatMap((s) => s.services).find((x) => x.name === "celery-worker")!;
      return [
        { "replicas.celery-worker": worker.replicas + 1 },
        ...next.map((stage) => ({ stage, "replicas.celery-worker": worker.replicas + 1 })),
        ...next.map((stage) => ({ stage })),
      ];
    }
    case "none":
      return [];
  }
}

/** The answer to a full root file system: what to clean, and how the root disk grows, with its price. */
function diskDetail(server: Plan["servers"][number], proposed: Plan | undefined): string {
  const kept =
    server.diskGb < server.disk.typeDiskGb
      ? ` (kept from ${server.disk.createdAs.toUpperCase()} at creation; a new ${server.type.toUpperCase()} has ${server.disk.typeDiskGb} GB)`
      : "";
  const grown = proposed?.servers.find((s) => s.name === server.name);
  return (
    `Free space on ${server.name}'s root file system (/): docker system prune --all --filter until=168h, journalctl --vacuum-size=200M, old backups. ` +
    `PostgreSQL's data is on the pgdata volume, not on /, so growing that volume does not help. ` +
    `${server.name}'s root disk is ${server.diskGb} GB${kept}; it grows only when the server changes type without keepDisk` +
    (grown
      ? `, to ${grown.diskGb} GB as a ${grown.type.toUpperCase()}, and from then on ${server.name} can never move to a type with a smaller disk (no downgrade). The smallest change that the model accepts:`
      : "; no larger type fits this stage or the next, so plan it by hand with npm run plan.")
  );
}

const GUIDE_ACTIONS: Record<Leaf, string> = {
  "upgrade-server": "Upgrade server (CAX11 -> CAX21)",
  "pgbouncer-or-pool": "Add PgBouncer or increase pool size",
  "workers-or-cpu": "Add Uvicorn workers or upgrade CPU",
  disk: "Clean logs/backups or upgrade disk",
  "celery-replicas": "Add celery-worker replicas",
  none: "No scaling needed",
};

/**
 * Walks the guide's "When to Scale" tree for the stage in `raw` (config as
 * Pulumi holds it), and turns the leaf into config changes the model accepts.
 */
export function advise(measurements: Measurements, raw: Raw, load?: { clients?: number; stores?: number }): Advice {
  const current = plan(parseConfig(raw));
  const path: Step[] = [];
  let leaf: Leaf = "none";
  let over: string[] = [];
  const ram = ask("ram", measurements);
  path.push(ram);
  if (ram.answer) {
    leaf = "upgrade-server";
    over = ram.over;
  } else {
    const latency = ask("latency", measurements);
    path.push(latency);
    if (latency.answer) {
      const db = ask("dbBound", measurements);
      path.push(db);
      leaf = db.answer ? "pgbouncer-or-pool" : "workers-or-cpu";
      over = latency.over;
    } else {
      const disk = ask("disk", measurements);
      path.push(disk);
      if (disk.answer) {
        leaf = "disk";
        over = disk.over;
      } else {
        const queue = ask("celeryQueue", measurements);
        path.push(queue);
        if (queue.answer) leaf = "celery-replicas";
      }
    }
  }

  // More RAM is only an answer if the server ends up with more room than it has now; a full disk only if that server's disk grows.
  const worst = serverOf(current, over[0] ?? current.servers[0].name);
  const relieves = (p: Plan) => {
    const after = p.servers.find((s) => s.name === worst.name);
    if (leaf === "upgrade-server") return (after?.headroomMb ?? -Infinity) > worst.headroomMb;
    if (leaf === "disk") return (after?.diskGb ?? 0) > worst.diskGb;
    return true;
  };
  const full = leaf === "disk" ? worst : undefined;
  const found = firstFitting(raw, candidatesFor(leaf, current, over), relieves);
  const commands = found ? Object.entries(found.change).map(([key, value]) => configSetCommand(key, value)) : [];
  const detail =
    leaf === "none"
      ? "Every answer in the guide's tree is no."
      : full
        ? diskDetail(full, found?.plan)
        : found
          ? `For ${over.length > 0 ? over.join(", ") : "the stack"}: the smallest change that the model accepts:`
          : "No change within this stage or the next fits the model; plan it by hand with npm run plan.";
  const secondOpinion =
    load && (load.clients !== undefined || load.stores !== undefined)
      ? (() => {
          const called = stageForLoad(load.clients ?? 0, load.stores ?? 0);
          const relation =
            STAGE_NAMES.indexOf(called.name) > STAGE_NAMES.indexOf(current.stage)
              ? `call for ${called.name}, beyond ${current.stage}`
              : `fit ${current.stage}`;
          return `the guide's timeline: ${load.clients ?? 0} clients and ${load.stores ?? 0} stores ${relation} (${called.name}: ${called.trigger || "the start"})`;
        })()
      : undefined;
  return {
    stage: current.stage,
    path,
    leaf,
    action: GUIDE_ACTIONS[leaf],
    detail,
    commands,
    cost: found
      ? {
          currentEur: current.cost.totalEur,
          proposedEur: found.plan.cost.totalEur,
          deltaEur: Math.round((found.plan.cost.totalEur - current.cost.totalEur) * 100) / 100,
        }
      : undefined,
    secondOpinion,
  };
}

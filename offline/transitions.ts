import markdownTable from "markdown-table";
import { CLOUD_INIT_BUDGET_SECONDS, BOOT_BUDGET_SECONDS } from "../model/boot";
import { parseConfig } from "../model/config";
import { rescaleRefusal } from "../model/disk";
import { plan, type Plan } from "../model/plan";
import { RESCALE_SECONDS, stopPhasesFor, stopUpToSeconds } from "../model/rescale";
import { GENERATED_NOTICE } from "../model/report/stages-doc";
import { STAGE_NAMES, type StageName } from "../model/stages";
import type { MockRun, RecordedResource } from "./mock-run";
import { OFFLINE_DEFAULTS, runOrion } from "./orion";
import { REPLACE_RULES, replacingFields, type ReplaceImpact } from "./replace-rules";

export interface Replacement {
  name: string;
  type: string;
  fields: string[];
  impact: ReplaceImpact;
  /** What the replacement does (offline/replace-rules.ts). */
  replacement: string;
}

export interface Transition {
  from: StageName;
  to: StageName;
  /** Resources in both stages whose replacing fields change: a new machine, volume or network. Never on a move up. */
  replacedStateful: Replacement[];
  /** Replacements that rerun a step or reconnect something: deploy commands, the pgdata attachment. */
  replacedHarmless: Replacement[];
  /** Protected (stateful) resources of `from` that `to` does not have: Pulumi would try to delete them. */
  statefulLost: { name: string; type: string }[];
  rescaled: { server: string; from: string; to: string; diskGb: number; typeDiskGb: number }[];
  /** Servers whose compose project the program stops before Hetzner powers them off. */
  stoppedBeforeRescale: string[];
  /** Rescales Hetzner refuses: the server's disk is larger than the new type's. */
  refused: { server: string; reason: string }[];
  /** Volumes attached to another server after the move: the data moves with the volume. */
  volumesMoved: { volume: string; from: string; to: string }[];
  addedServers: string[];
  removedServers: string[];
  redeployed: string[];
}

const SERVER = "hcloud:index/server:Server";
const COMMAND = "command:remote:Command";
const ATTACHMENT = "hcloud:index/volumeAttachment:VolumeAttachment";

const planOf = (stage: StageName): Plan => plan(parseConfig({ stage, ...OFFLINE_DEFAULTS }));

/** Compares the stack after `from` (run `a`) with the run of `to` over it (run `b`, which read `a`'s outputs). */
export function compare(from: StageName, a: MockRun, to: StageName, b: MockRun): Transition {
  const inB = new Map(b.resources.map((r) => [r.urn, r]));
  const inA = new Map(a.resources.map((r) => [r.urn, r]));
  const replaced: Replacement[] = [];
  for (const ra of a.resources.filter((r) => r.custom)) {
    const rb = inB.get(ra.urn);
    if (!rb) continue;
    const fields = replacingFields(ra.type, ra.inputs, rb.inputs, rb.ignoreChanges);
    if (fields.length > 0)
      replaced.push({
        name: ra.name,
        type: ra.type,
        fields,
        impact: REPLACE_RULES[ra.type].impact,
        replacement: REPLACE_RULES[ra.type].replacement,
      });
  }
  const before = planOf(from);
  const after = planOf(to);
  const rescaled = after.servers.flatMap((s) => {
    const old = before.servers.find((x) => x.name === s.name);
    return old && old.type !== s.type
      ? [{ server: s.name, from: old.type, to: s.type, diskGb: old.diskGb, typeDiskGb: s.disk.typeDiskGb }]
      : [];
  });
  const attachmentServer = (r: RecordedResource) => r.parent.split("::").pop()!;
  const volumesMoved = a.resources
    .filter((r) => r.type === ATTACHMENT && inB.has(r.urn) && attachmentServer(r) !== attachmentServer(inB.get(r.urn)!))
    .map((r) => ({ volume: r.name, from: attachmentServer(r), to: attachmentServer(inB.get(r.urn)!) }));
  const servers = (run: MockRun) => run.resources.filter((r) => r.type === SERVER).map((r) => r.name);
  const lost = (r: RecordedResource) => r.protect && !inB.has(r.urn);
  return {
    from,
    to,
    replacedStateful: replaced.filter((r) => r.impact === "stateful"),
    replacedHarmless: replaced.filter((r) => r.impact === "harmless"),
    statefulLost: a.resources.filter(lost).map((r) => ({ name: r.name, type: r.type })),
    rescaled,
    stoppedBeforeRescale: b.resources
      .filter((r) => r.type === COMMAND && r.name.endsWith("-stop-for-rescale"))
      .map((r) => r.name.replace(/-stop-for-rescale$/, "")),
    refused: rescaled.flatMap((r) => {
      const reason = rescaleRefusal(r.diskGb, r.to);
      return reason ? [{ server: r.server, reason }] : [];
    }),
    volumesMoved,
    addedServers: servers(b).filter((s) => !servers(a).includes(s)),
    removedServers: servers(a).filter((s) => !servers(b).includes(s)),
    redeployed: b.resources
      .filter(
        (r) =>
          r.type === COMMAND &&
          r.name.endsWith("-deploy") &&
          JSON.stringify(inA.get(r.urn)?.inputs) !== JSON.stringify(r.inputs),
      )
      .map((r) => r.name.replace(/-deploy$/, "")),
  };
}

/**
 * Runs the program once per stage on a new stack (as `pulumi up` would see
 * it), then each other stage over that stack's outputs, as the `pulumi up`
 * after `pulumi config set orion:stage` sees it, and compares every ordered
 * pair. Tests pass the run function they share.
 */
export async function computeTransitions(run: typeof runOrion = runOrion): Promise<Transition[]> {
  const runs = {} as Record<StageName, MockRun>;
  for (const stage of STAGE_NAMES) runs[stage] = await run({ stage }, { preview: false });
  const out: Transition[] = [];
  for (const from of STAGE_NAMES) {
    for (const to of STAGE_NAMES.filter((s) => s !== from)) {
      const over = await run({ stage: to }, { preview: false, existing: { outputs: runs[from].outputs } });
      out.push(compare(from, runs[from], to, over));
    }
  }
  return out;
}

export const FORWARD_MOVES: [StageName, StageName][] = STAGE_NAMES.slice(0, -1).map((s, i) => [s, STAGE_NAMES[i + 1]]);

const list = (items: string[]) => (items.length === 0 ? "none" : items.join(", "));
const minutes = (seconds: number) => (seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`);

/** docs/transitions.md: what each of the 20 stage changes does to the stack. */
export function renderTransitionsDoc(transitions: Transition[]): string {
  const out = [GENERATED_NOTICE, "", "# Stage transitions", ""];
  out.push(
    "What `pulumi up` does when `orion:stage` changes from one stage to another, computed by running the program for the first stage and then for the second over the first one's outputs, " +
      "and judged by the replace rules read off the providers' sources (table below). " +
      "A transition is safe when nothing stateful is replaced (a server, a volume, the network), no protected resource disappears and Hetzner accepts every rescale. " +
      "Harmless replacements (a deploy command that runs again, the pgdata attachment that moves) are listed too.",
    "",
  );
  const rows = [
    [
      "From",
      "To",
      "Safe",
      "Rescaled (stopped first, then powered off)",
      "Servers added",
      "Servers removed",
      "Replaced, stateful",
      "Replaced, harmless",
      "Stateful resources lost",
    ],
  ];
  for (const t of transitions) {
    const safe = t.replacedStateful.length === 0 && t.statefulLost.length === 0 && t.refused.length === 0;
    rows.push([
      t.from,
      t.to,
      safe ? "yes" : "**no**",
      list(t.rescaled.map((r) => `${r.server} ${r.from}→${r.to}`)),
      list(t.addedServers),
      list(t.removedServers),
      list(t.replacedStateful.map((r) => `${r.name} (${r.fields.join(", ")})`)),
      list(t.replacedHarmless.map((r) => r.name)),
      list(t.statefulLost.map((r) => `${r.name} (${r.type.split(":").pop()})`)),
    ]);
  }
  out.push(markdownTable(rows), "");
  out.push("## Forward moves", "", renderRunbook(transitions), "");
  out.push(
    "Moves down a stage remove servers that hold data. Pulumi refuses to delete them while they are protected; " +
      "move their data first, then lift the protection on purpose (`pulumi state unprotect`).",
    "",
  );
  out.push(
    "## Replace rules",
    "",
    "Inputs whose change replaces a resource, from the providers' sources; every other input changes in place.",
    "",
  );
  const rules = [["Resource", "Replaced when", "Replacement", "Impact", "Source"]];
  for (const [type, rule] of Object.entries(REPLACE_RULES)) {
    const fields = Object.keys(rule.replaceOn);
    rules.push([
      `\`${type}\``,
      fields.length === 0 ? "never" : fields.map((f) => `\`${f}\``).join(", "),
      rule.replacement,
      rule.impact,
      fields.length === 0 ? "" : [...new Set(Object.values(rule.replaceOn))].join("; "),
    ]);
  }
  out.push(markdownTable(rules), "");
  out.push("");
  return out.join("\n");
}

/** Step by step, with how long each step keeps what down. */
function steps(t: Transition): string[] {
  // What runs on a server when it is stopped is what the stage before deployed.
  const before = planOf(t.from);
  const out: string[] = [];
  for (const r of t.rescaled) {
    const server = before.servers.find((s) => s.name === r.server)!;
    const phases = stopPhasesFor(server)
      .map((p, i) => `(${i + 1}) ${p.what}: ${p.services.join(", ")}, up to ${p.upToSeconds} s`)
      .join("; ");
    const disk =
      r.diskGb === r.typeDiskGb
        ? `${r.diskGb} GB disk`
        : `disk kept at ${r.diskGb} GB (a new ${r.to.toUpperCase()} has ${r.typeDiskGb} GB)`;
    out.push(
      `${r.server} is rescaled ${r.from.toUpperCase()} → ${r.to.toUpperCase()}, ${disk}. Before Hetzner touches it, \`${r.server}-stop-for-rescale\` stops its compose project: ${phases}; then \`sync\`. ` +
        `Hetzner powers it off, changes the type and starts it (about ${minutes(RESCALE_SECONDS)}); it boots (usually under a minute, up to ${minutes(BOOT_BUDGET_SECONDS)}); \`${r.server}-deploy\` starts every service and waits for the health checks. ` +
        `Everything on ${r.server}, and what other servers use of it, is down from the first stop until then: up to ${minutes(stopUpToSeconds(server) + RESCALE_SECONDS + BOOT_BUDGET_SECONDS)} plus the health checks, usually about ${minutes(RESCALE_SECONDS + 60)}.`,
    );
  }
  if (t.addedServers.length > 0) {
    out.push(
      `${t.addedServers.length === 1 ? `New server ${t.addedServers[0]} is` : `New servers ${t.addedServers.join(", ")} are`} created in a spread placement group from the start; ` +
        `\`<server>-cloud-init\` waits as root until cloud-init has finished (usually 5 to 10 minutes, at most ${minutes(CLOUD_INIT_BUDGET_SECONDS)}), then images are pulled and compose projects deployed there. Nothing running goes down for this.`,
    );
  }
  for (const v of t.volumesMoved) {
    out.push(
      `${v.volume} moves from ${v.from} to ${v.to}: \`${v.from}-release-pgdata\` stops the old database (a checkpointing fast shutdown) and unmounts the volume; the attachment is replaced (detach from ${v.from}, attach to ${v.to}: tens of seconds at Hetzner); \`${v.to}-deploy\` mounts it and starts PostgreSQL on the same data. Database writes pause from the release until then: a few minutes.`,
    );
  }
  if (out.length === 0)
    out.push(
      "Only compose changes: `docker compose up -d --wait` recreates the containers whose settings changed; each is down for seconds.",
    );
  return out;
}

/** A runbook per forward move: what happens in which order, what it replaces, what to check afterwards. */
export function renderRunbook(transitions: Transition[]): string {
  const out: string[] = [];
  for (const [from, to] of FORWARD_MOVES) {
    const t = transitions.find((x) => x.from === from && x.to === to)!;
    out.push(`#### ${from} → ${to}`, "");
    out.push(
      "```sh",
      `pulumi config set orion:stage ${to}`,
      "pulumi preview --diff --policy-pack policies",
      "pulumi up",
      "```",
      "",
    );
    out.push("What happens, in order:", "");
    steps(t).forEach((s, i) => out.push(`${i + 1}. ${s}`));
    out.push("");
    out.push(`- Compose projects redeployed: ${list(t.redeployed)}.`);
    out.push(`- Replaced, harmless: ${list(t.replacedHarmless.map((r) => `${r.name} (${r.replacement})`))}.`);
    out.push(
      `- Replaced, stateful: ${list(t.replacedStateful.map((r) => `${r.name} (${r.fields.join(", ")})`))}. Deleted: ${list(t.statefulLost.map((r) => r.name))}.`,
    );
    if (t.refused.length > 0)
      out.push(`- Refused by Hetzner: ${t.refused.map((r) => `${r.server}: ${r.reason}`).join("; ")}.`);
    const watched = [...new Set([...t.addedServers, ...t.rescaled.map((r) => r.server)])];
    out.push(
      `- Check afterwards: \`pulumi stack output servers\`; on each server \`docker compose -p orion ps\` shows every service healthy; ` +
        `the API answers on /health; Grafana's "Orion: Key Metrics" has data from ${watched.length === 0 ? "every server" : watched.join(", ")}; \`npm run advise\` answers without missing metrics.`,
      "",
    );
  }
  return out.join("\n").trimEnd();
}

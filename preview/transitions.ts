import markdownTable from "markdown-table";
import { GENERATED_NOTICE } from "../model/render/stages-doc";
import { STAGE_NAMES, type StageName } from "../model/stages";
import type { MockRun, RecordedResource } from "./mock-run";
import { runOrion } from "./offline";

/** Input fields whose change makes the provider replace the resource (hcloud provider schema, DESIGN.md). */
export const REPLACEMENT_FIELDS: Record<string, string[]> = {
  "hcloud:index/server:Server": ["image", "location", "userData", "sshKeys"],
  "hcloud:index/volume:Volume": ["location"],
};

export interface Transition {
  from: StageName;
  to: StageName;
  /** Resources in both stages whose replacement-forcing fields differ. */
  replaced: { name: string; type: string; fields: string[] }[];
  /** Protected (stateful) resources of `from` that `to` does not have: Pulumi would try to delete them. */
  statefulLost: { name: string; type: string }[];
  rescaled: { server: string; from: string; to: string }[];
  /** Volumes attached to another server after the move: the data moves with the volume. */
  volumesMoved: { volume: string; from: string; to: string }[];
  addedServers: string[];
  removedServers: string[];
  redeployed: string[];
}

const SERVER = "hcloud:index/server:Server";
const DEPLOY = "command:remote:Command";
const ATTACHMENT = "hcloud:index/volumeAttachment:VolumeAttachment";

function compare(from: StageName, a: MockRun, to: StageName, b: MockRun): Transition {
  const inB = new Map(b.resources.map((r) => [r.urn, r]));
  const inA = new Map(a.resources.map((r) => [r.urn, r]));
  const replaced: Transition["replaced"] = [];
  const rescaled: Transition["rescaled"] = [];
  for (const ra of a.resources) {
    const rb = inB.get(ra.urn);
    if (!rb) continue;
    const fields = (REPLACEMENT_FIELDS[ra.type] ?? []).filter((f) => JSON.stringify(ra.inputs[f]) !== JSON.stringify(rb.inputs[f]));
    if (fields.length > 0) replaced.push({ name: ra.name, type: ra.type, fields });
    if (ra.type === SERVER && ra.inputs.serverType !== rb.inputs.serverType) rescaled.push({ server: ra.name, from: String(ra.inputs.serverType), to: String(rb.inputs.serverType) });
  }
  const attachmentServer = (r: RecordedResource) => r.parent.split("::").pop()!;
  const volumesMoved = a.resources
    .filter((r) => r.type === ATTACHMENT && inB.has(r.urn) && attachmentServer(r) !== attachmentServer(inB.get(r.urn)!))
    .map((r) => ({ volume: r.name, from: attachmentServer(r), to: attachmentServer(inB.get(r.urn)!) }));
  const servers = (run: MockRun) => run.resources.filter((r) => r.type === SERVER).map((r) => r.name);
  const lost = (r: RecordedResource) => r.protect && !inB.has(r.urn);
  return {
    from,
    to,
    replaced,
    statefulLost: a.resources.filter(lost).map((r) => ({ name: r.name, type: r.type })),
    rescaled,
    volumesMoved,
    addedServers: servers(b).filter((s) => !servers(a).includes(s)),
    removedServers: servers(a).filter((s) => !servers(b).includes(s)),
    redeployed: b.resources.filter((r) => r.type === DEPLOY && r.name.endsWith("-deploy") && JSON.stringify(inA.get(r.urn)?.inputs) !== JSON.stringify(r.inputs)).map((r) => r.name.replace(/-deploy$/, "")),
  };
}

/** Runs the program once per stage (as `pulumi up` would see it) and compares every ordered pair; tests pass the runs they share. */
export async function computeTransitions(run: typeof runOrion = runOrion): Promise<Transition[]> {
  const runs = {} as Record<StageName, MockRun>;
  for (const stage of STAGE_NAMES) runs[stage] = await run({ stage }, { preview: false });
  return STAGE_NAMES.flatMap((from) => STAGE_NAMES.filter((to) => to !== from).map((to) => compare(from, runs[from], to, runs[to])));
}

export const FORWARD_MOVES: [StageName, StageName][] = STAGE_NAMES.slice(0, -1).map((s, i) => [s, STAGE_NAMES[i + 1]]);

const list = (items: string[]) => (items.length === 0 ? "none" : items.join(", "));

/** docs/transitions.md: what each of the 20 stage changes does to the stack. */
export function renderTransitionsDoc(transitions: Transition[]): string {
  const out = [GENERATED_NOTICE, "", "# Stage transitions", ""];
  out.push(
    "What `pulumi up` does when `orion:stage` changes from one stage to another, computed by running the program for both stages. " +
      "A transition is safe when no resource that exists in both stages has a replacement-forcing field changed " +
      "(`hcloud.Server`: image, location, userData, sshKeys; `hcloud.Volume`: location) and no protected resource (a server holding data, a volume, the network) disappears.",
    "",
  );
  const rows = [["From", "To", "Safe", "Rescaled (power-off ~2 min)", "Servers added", "Servers removed", "Replaced", "Stateful resources lost"]];
  for (const t of transitions) {
    const safe = t.replaced.length === 0 && t.statefulLost.length === 0;
    rows.push([
      t.from,
      t.to,
      safe ? "yes" : "**no**",
      list(t.rescaled.map((r) => `${r.server} ${r.from}→${r.to}`)),
      list(t.addedServers),
      list(t.removedServers),
      list(t.replaced.map((r) => `${r.name} (${r.fields.join(", ")})`)),
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
  out.push("");
  return out.join("\n");
}

/** Expected downtime of a move, from what it does. */
function downtime(t: Transition): string {
  const parts: string[] = [];
  for (const r of t.rescaled) parts.push(`${r.server} is off for about 2 minutes while Hetzner rescales it (everything on it stops)`);
  for (const v of t.volumesMoved) parts.push(`database writes pause from the release on ${v.from} until the deploy on ${v.to} has started PostgreSQL (a few minutes)`);
  if (parts.length === 0) parts.push("seconds: compose recreates only the containers whose settings changed");
  return parts.join("; ");
}

/** A runbook per forward move: what changes, the downtime to expect, what to check afterwards. */
export function renderRunbook(transitions: Transition[]): string {
  const out: string[] = [];
  for (const [from, to] of FORWARD_MOVES) {
    const t = transitions.find((x) => x.from === from && x.to === to)!;
    out.push(`#### ${from} → ${to}`, "");
    out.push("```sh", `pulumi config set orion:stage ${to}`, "pulumi preview --diff --policy-pack policies", "pulumi up", "```", "");
    out.push(`- Rescaled in place: ${list(t.rescaled.map((r) => `${r.server} ${r.from.toUpperCase()} → ${r.to.toUpperCase()} (disk kept)`))}.`);
    out.push(`- New servers: ${list(t.addedServers)}.`);
    out.push(`- Volumes moved: ${list(t.volumesMoved.map((v) => `${v.volume} from ${v.from} to ${v.to}: a step on ${v.from} stops its old database and unmounts the volume, the volume attaches to ${v.to}, and the deploy there starts PostgreSQL on the same data`))}.`);
    out.push(`- Compose projects redeployed: ${list(t.redeployed)}.`);
    out.push(`- Replaced or deleted: ${t.replaced.length + t.statefulLost.length === 0 ? "nothing" : list([...t.replaced.map((r) => r.name), ...t.statefulLost.map((r) => r.name)])}.`);
    out.push(`- Expected downtime: ${downtime(t)}.`);
    out.push(
      `- Check afterwards: \`pulumi stack output servers\`; on each server \`docker compose -p orion ps\` shows every service healthy; ` +
        `the API answers on /health; Grafana's "Orion: Key Metrics" has data from ${list([...new Set([...t.addedServers, ...t.rescaled.map((r) => r.server)])]) === "none" ? "every server" : list([...new Set([...t.addedServers, ...t.rescaled.map((r) => r.server)])])}; \`npm run advise\` answers without missing metrics.`,
      "",
    );
  }
  return out.join("\n").trimEnd();
}

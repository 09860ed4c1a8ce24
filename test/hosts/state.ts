import { randomBytes } from "node:crypto";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { runSync } from "./run";

/**
 * Everything a test bed starts is written down as it starts, under its run
 * directory, so that it can be stopped by PID (never by name) when the bed
 * stops, and by a later run when this one crashed: processes with their start
 * time (a reused PID is left alone), network namespaces, loop devices and
 * cgroups. Names carry the prefix `otb-<run id>-`.
 */

export const STATE_ROOT = process.env.ORION_TESTBED_STATE ?? "/var/tmp/orion-testbed";
export const NAME_PREFIX = "otb-";

type Record_ =
  | { kind: "pid"; pid: number; start: string; what: string }
  | { kind: "netns"; name: string }
  | { kind: "loop"; device: string; file: string }
  | { kind: "cgroup"; name: string }
  | { kind: "namespaces"; mnt: string; net: string; holder: number };

export interface RunDir {
  id: string;
  dir: string;
}

/** The start time of a process (field 22 of /proc/PID/stat), or undefined when it is gone. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

export function newRun(): RunDir {
  const id = randomBytes(3).toString("hex");
  const dir = join(STATE_ROOT, id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "owner.json"), JSON.stringify({ pid: process.pid, start: processStart(process.pid) }));
  return { id, dir };
}

export function record(run: RunDir, entry: Record_): void {
  appendFileSync(join(run.dir, "records.jsonl"), `${JSON.stringify(entry)}\n`);
}

export function recordProcess(run: RunDir, pid: number, what: string): void {
  record(run, { kind: "pid", pid, start: processStart(pid) ?? "", what });
}

function records(dir: string): Record_[] {
  const file = join(dir, "records.jsonl");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record_);
}

function killIfSame(pid: number, start: string): void {
  if (start && processStart(pid) === start) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** Processes in a namespace (by its `mnt:[...]`/`net:[...]` identity): a host's dockerd, containerd, shims, sshd, proxies. */
export function processesIn(namespaces: { mnt?: string; net?: string }, except: number[] = []): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (except.includes(pid) || pid === process.pid) continue;
    try {
      if (
        (namespaces.mnt && readlinkSync(`/proc/${pid}/ns/mnt`) === namespaces.mnt) ||
        (namespaces.net && readlinkSync(`/proc/${pid}/ns/net`) === namespaces.net)
      )
        found.push(pid);
    } catch {
      // exited while we looked
    }
  }
  return found;
}

const CGROUP_ROOT = "/sys/fs/cgroup";

/** Every cgroup directory of that name in every controller (cgroup v1) or in the unified tree. */
function cgroupDirs(name: string): string[] {
  if (!existsSync(CGROUP_ROOT)) return [];
  const roots = existsSync(join(CGROUP_ROOT, "cgroup.procs"))
    ? [CGROUP_ROOT]
    : readdirSync(CGROUP_ROOT).map((c) => join(CGROUP_ROOT, c));
  return roots.map((r) => join(r, name)).filter((d) => existsSync(d));
}

/** PIDs in a cgroup and below: the containers a host's engine started under its cgroup parent. */
export function processesInCgroup(name: string): number[] {
  const pids = new Set<number>();
  const walk = (dir: string) => {
    try {
      for (const line of readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n")) if (line) pids.add(Number(line));
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name));
    } catch {
      // removed while we looked
    }
  };
  for (const dir of cgroupDirs(name)) walk(dir);
  return [...pids];
}

export function killCgroup(name: string): void {
  for (let i = 0; i < 20; i++) {
    const pids = processesInCgroup(name);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    runSync("sleep", ["0.2"]);
  }
}

export function removeCgroup(name: string): void {
  const remove = (dir: string) => {
    try {
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) remove(join(dir, e.name));
      rmdirSync(dir);
    } catch {
      // busy or gone; a later cleanup tries again
    }
  };
  for (const dir of cgroupDirs(name)) remove(dir);
}

/** Stops and removes everything a run recorded. Synchronous, so that it also works from an exit handler. */
export function cleanRun(dir: string): void {
  const entries = records(dir);
  for (const e of entries) if (e.kind === "pid") killIfSame(e.pid, e.start);
  for (const e of entries) if (e.kind === "cgroup") killCgroup(e.name);
  for (let i = 0; i < 10; i++) {
    const left = entries.flatMap((e) => (e.kind === "namespaces" ? processesIn({ mnt: e.mnt, net: e.net }) : []));
    if (left.length === 0) break;
    for (const pid of left) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    runSync("sleep", ["0.3"]);
  }
  for (const e of entries) if (e.kind === "cgroup") removeCgroup(e.name);
  // The mounts on a loop device went with the host's mount namespace; now it can be released.
  for (const e of entries) {
    if (e.kind !== "loop") continue;
    const backing = runSync("losetup", ["--noheadings", "--output", "BACK-FILE", e.device]).stdout.trim();
    if (backing === e.file) runSync("losetup", ["--detach", e.device]);
  }
  for (const e of entries) if (e.kind === "netns") runSync("ip", ["netns", "delete", e.name]);
  rmSync(dir, { recursive: true, force: true });
}

function ownerAlive(dir: string): boolean {
  try {
    const owner = JSON.parse(readFileSync(join(dir, "owner.json"), "utf8")) as { pid: number; start: string };
    return processStart(owner.pid) === owner.start;
  } catch {
    return false;
  }
}

/** Cleans what crashed runs left: run directories whose owner is gone, and `otb-` namespaces no live run owns. */
export function cleanStale(): string[] {
  const cleaned: string[] = [];
  if (existsSync(STATE_ROOT)) {
    for (const id of readdirSync(STATE_ROOT)) {
      const dir = join(STATE_ROOT, id);
      if (!ownerAlive(dir)) {
        cleanRun(dir);
        cleaned.push(id);
      }
    }
  }
  const live = existsSync(STATE_ROOT) ? readdirSync(STATE_ROOT) : [];
  for (const line of runSync("ip", ["netns", "list"]).stdout.split("\n")) {
    const name = line.split(" ")[0];
    if (name.startsWith(NAME_PREFIX) && !live.some((id) => name.startsWith(`${NAME_PREFIX}${id}-`))) {
      runSync("ip", ["netns", "delete", name]);
      cleaned.push(name);
    }
  }
  return cleaned;
}

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Linux capabilities by bit number (linux/capability.h). */
const CAPABILITIES = [
  "CHOWN",
  "DAC_OVERRIDE",
  "DAC_READ_SEARCH",
  "FOWNER",
  "FSETID",
  "KILL",
  "SETGID",
  "SETUID",
  "SETPCAP",
  "LINUX_IMMUTABLE",
  "NET_BIND_SERVICE",
  "NET_BROADCAST",
  "NET_ADMIN",
  "NET_RAW",
  "IPC_LOCK",
  "IPC_OWNER",
  "SYS_MODULE",
  "SYS_RAWIO",
  "SYS_CHROOT",
  "SYS_PTRACE",
  "SYS_PACCT",
  "SYS_ADMIN",
  "SYS_BOOT",
  "SYS_NICE",
  "SYS_RESOURCE",
  "SYS_TIME",
  "SYS_TTY_CONFIG",
  "MKNOD",
  "LEASE",
  "AUDIT_WRITE",
  "AUDIT_CONTROL",
  "SETFCAP",
  "MAC_OVERRIDE",
  "MAC_ADMIN",
  "SYSLOG",
  "WAKE_ALARM",
  "BLOCK_SUSPEND",
  "AUDIT_READ",
  "PERFMON",
  "BPF",
  "CHECKPOINT_RESTORE",
];

/** Capabilities this machine does not grant its processes (a sandbox may withhold some, e.g. CAP_SYS_RESOURCE). */
export function missingCapabilities(): string[] {
  const bounding = BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync("/proc/self/status", "utf8"))![1]}`);
  return CAPABILITIES.map((name, bit) => ({ name: `CAP_${name}`, held: (bounding >> BigInt(bit)) & 1n }))
    .filter((c) => !c.held)
    .map((c) => c.name);
}

/**
 * The OCI runtime the bed's engines use: runc, after taking out of each
 * container's capability sets what the machine itself does not have. Only
 * privileged containers (cAdvisor) ask for every capability; runc refuses
 * them on a machine whose bounding set lacks one ("unable to apply caps").
 * On a server, where root holds every capability, nothing changes.
 */
export function writeRuntimeWrapper(dir: string): string {
  const path = join(dir, "testbed-runc");
  const missing = missingCapabilities();
  writeFileSync(
    path,
    `#!/usr/bin/python3
# The test bed's OCI runtime (test/hosts/runtime.ts): runc without the capabilities this machine lacks.
import json, os, sys
MISSING = set(${JSON.stringify(missing)})
args = sys.argv[1:]

def value(flags):
    for a in args:
        for flag in flags:
            if a.startswith(flag + "="):
                return a.split("=", 1)[1]
    for flag in flags:
        if flag in args[:-1]:
            return args[args.index(flag) + 1]
    return None

def strip(path, process_of):
    with open(path) as f:
        spec = json.load(f)
    caps = process_of(spec).get("capabilities") or {}
    for key in caps:
        caps[key] = [c for c in caps[key] or [] if c not in MISSING]
    with open(path, "w") as f:
        json.dump(spec, f)

if MISSING and ("create" in args or "run" in args):
    bundle = value(["--bundle", "-b"])
    if bundle:
        strip(os.path.join(bundle, "config.json"), lambda spec: spec.get("process") or {})
if MISSING and "exec" in args:
    process = value(["--process", "-p"])
    if process:
        strip(process, lambda spec: spec)
os.execvp("runc", ["runc"] + args)
`,
    { mode: 0o755 },
  );
  return path;
}

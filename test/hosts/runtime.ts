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
 *
 * The engine calls its runtime for every container start and every health
 * probe (`runc exec`), so the wrapper is a POSIX shell script that hands
 * the call straight to runc unless the spec names a missing capability;
 * only then does Python rewrite it (a Python start took 0.5 s of CPU on a
 * 2-core test machine, paid once per probe when it ran on every call).
 */
export function writeRuntimeWrapper(dir: string): string {
  const path = join(dir, "testbed-runc");
  const missing = missingCapabilities();
  const names = missing.length > 0 ? missing.join("|") : "^$";
  writeFileSync(
    path,
    `#!/bin/sh
# The test bed's OCI runtime (test/hosts/runtime.ts): runc without the capabilities this machine lacks.
spec=""; key=""; previous=""
for arg in "$@"; do
  case "$previous" in
    --bundle|-b) spec="$arg/config.json"; key=process ;;
    --process|-p) spec="$arg"; key="" ;;
  esac
  case "$arg" in
    --bundle=*) spec="\${arg#*=}/config.json"; key=process ;;
    --process=*) spec="\${arg#*=}"; key="" ;;
  esac
  previous="$arg"
done
if [ -n "$spec" ] && [ -f "$spec" ] && grep -qE '"(${names})"' "$spec"; then
  python3 - "$spec" "$key" <<'PY' || exit 1
import json, sys
MISSING = set(${JSON.stringify(missing)})
path, key = sys.argv[1], sys.argv[2]
with open(path) as f:
    spec = json.load(f)
caps = ((spec.get(key) or {}) if key else spec).get("capabilities") or {}
for name in caps:
    caps[name] = [c for c in caps[name] or [] if c not in MISSING]
with open(path, "w") as f:
    json.dump(spec, f)
PY
fi
exec runc "$@"
`,
    { mode: 0o755 },
  );
  return path;
}

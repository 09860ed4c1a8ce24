import { spawn, type ChildProcess } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { loadImages } from "./images/load";
import type { ImageSet } from "./images/build";
import { addNamespace, OPERATOR_IP, PRIVATE_PREFIX, PUBLIC_PREFIX, type Namespace, type Switch } from "./network";
import { Prober } from "./probes";
import { quote, run, sleep, waitUntil, type RunOptions, type RunResult } from "./run";
import { killCgroup, processesIn, record, recordProcess, type RunDir } from "./state";

/**
 * One simulated server: a network namespace (eth0 public, eth1 private), a
 * mount namespace held by a `sleep` process in which the paths a server owns
 * are its own (/etc, /home, /root, /opt, /mnt, /usr/local/sbin, /var/lib,
 * /var/log, /run, /tmp, /dev), a UTS namespace with its host name, sshd, and a
 * Docker engine started in those namespaces. Compose's relative bind mounts
 * resolve to the same paths for the docker CLI (over SSH) and this host's
 * dockerd because both see the same mount namespace.
 */

/** The paths a server owns, bind-mounted from the host's directory over the machine's. */
const OWN_DIRS: Record<string, string> = {
  "/etc": "etc",
  "/home": "home",
  "/root": "root",
  "/opt": "opt",
  "/mnt": "mnt",
  "/usr/local/sbin": "usr-local-sbin",
  "/var/lib": "var-lib",
  "/var/log": "var-log",
};
/** Device nodes a server's processes use; the bed's /dev is a tmpfs so that /dev/disk/by-id can hold the attached volume. */
const DEVICES = ["null", "zero", "full", "random", "urandom", "tty", "console", "kmsg", "fuse", "loop-control"];
/**
 * The bed's Docker Engine: Debian 13's docker.io (Engine 26), which .ci/install-from-debian13 puts in its own directory,
 * because the servers run Ubuntu 24.04's docker.io, a current upstream release. `ORION_TESTBED_ENGINE=machine` runs the
 * machine's own engine instead (Debian 12's 20.10), which takes the deploy's path for engines before 25 (start-interval.ts).
 */
export const ENGINE_DIR = process.env.ORION_TESTBED_ENGINE_DIR ?? "/usr/local/lib/orion-testbed/engine";
const MACHINE_ENGINE = process.env.ORION_TESTBED_ENGINE === "machine";
const HOST_PATH = [
  ...(MACHINE_ENGINE ? [] : [ENGINE_DIR]),
  "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
].join(":");

/** Why the bed cannot start its engines, if it cannot. */
export function engineProblem(): string | undefined {
  const choice = process.env.ORION_TESTBED_ENGINE;
  if (choice !== undefined && choice !== "" && choice !== "machine")
    return `ORION_TESTBED_ENGINE is "${choice}": leave it unset for the bed's Engine 26, or set it to "machine" for the machine's own engine`;
  if (MACHINE_ENGINE || existsSync(join(ENGINE_DIR, "dockerd"))) return undefined;
  return `the test bed's Docker Engine is not in ${ENGINE_DIR}: install it once, as root, with scripts/install-test-tools.sh (or run the machine's own engine with ORION_TESTBED_ENGINE=machine)`;
}

export interface HostSpec {
  /** The server's name in the plan (`app`, `db`, `worker-2`). */
  name: string;
  publicIp: string;
  privateIp: string;
  /** The user-data the server is created with: the rendered cloud-init. */
  userData: string;
  /** Public keys Hetzner installs for root at creation (the stack's SSH keys). */
  rootKeys: string[];
}

/** How every engine of a bed runs: its storage driver and OCI runtime (see runtime.ts). */
export interface EngineSetup {
  storageDriver: string;
  runtime: string;
}

export interface ContainerState {
  id: string;
  name: string;
  /** The compose service (`com.docker.compose.service`). */
  service: string;
  status: string;
  running: boolean;
  /** `healthy`, `unhealthy`, `starting`, or undefined without a health check. */
  health?: string;
  memoryBytes: number;
  startedAt: string;
  restartCount: number;
  image: string;
}

export class Host {
  readonly dir: string;
  readonly prober: Prober;
  /** How a server's boot went: what cloud-init asked systemd to do, and what the bed did instead. */
  readonly bootNotes: string[] = [];
  private holder = 0;
  private mntId = "";
  private dockerd?: ChildProcess;

  private constructor(
    readonly runDir: RunDir,
    readonly spec: HostSpec,
    readonly netns: Namespace,
    private readonly engine: EngineSetup,
    private readonly images: ImageSet,
  ) {
    this.dir = join(runDir.dir, "hosts", spec.name);
    this.prober = new Prober(runDir, netns.path, spec.name);
  }

  get name(): string {
    return this.spec.name;
  }
  get publicIp(): string {
    return this.spec.publicIp;
  }
  get privateIp(): string {
    return this.spec.privateIp;
  }
  /** The cgroup parent of this host's containers: a power-off kills everything in it. */
  get cgroup(): string {
    return `otb-${this.runDir.id}-${this.spec.name}`;
  }

  /** Creates the server: namespaces, its own directories, cloud-init's user-data applied, sshd and the Docker engine running. */
  static async create(
    runDir: RunDir,
    spec: HostSpec,
    net: Switch,
    engine: EngineSetup,
    images: ImageSet,
  ): Promise<Host> {
    const netns = await addNamespace(runDir, `otb-${runDir.id}-${spec.name}`);
    await net.plug(netns, "eth0", "pub", `${spec.publicIp}/${PUBLIC_PREFIX}`);
    await net.plug(netns, "eth1", "priv", `${spec.privateIp}/${PRIVATE_PREFIX}`);
    const host = new Host(runDir, spec, netns, engine, images);
    record(runDir, { kind: "cgroup", name: host.cgroup });
    await host.createFilesystem();
    await host.applyCloudInit();
    await host.boot();
    return host;
  }

  private fs(path: string): string {
    return join(this.dir, "fs", path);
  }

  private async createFilesystem(): Promise<void> {
    for (const sub of Object.values(OWN_DIRS)) mkdirSync(this.fs(sub), { recursive: true });
    mkdirSync(this.fs("var-lib/docker"), { recursive: true });
    mkdirSync(join(this.dir, "logs"), { recursive: true });
    // The server's /etc starts as the machine's (the same Debian packages are installed); its changes stay its own.
    await run("cp", ["-a", "/etc/.", this.fs("etc")]);
    // Each engine makes its own identity, as on a new server.
    rmSync(this.fs("etc/docker/key.json"), { force: true });
    const hostname = `orion-${this.spec.name}`;
    writeFileSync(this.fs("etc/hostname"), `${hostname}\n`);
    writeFileSync(
      this.fs("etc/hosts"),
      `127.0.0.1 localhost\n127.0.1.1 ${hostname}\n${this.spec.privateIp} ${hostname}\n`,
    );
    // The internet's name server (resolver.ts): it knows no name, so nothing on the bed reaches past it, and a lookup fails at once.
    writeFileSync(
      this.fs("etc/resolv.conf"),
      `# test bed: the internet's name server, which knows no name\nnameserver ${OPERATOR_IP}\n`,
    );
    writeFileSync(this.fs("etc/fstab"), "# test bed: the root file system is the machine's\n");

    const holder = spawn("unshare", ["--mount", "--uts", "--propagation", "private", "sleep", "infinity"], {
      detached: true,
      stdio: "ignore",
    });
    holder.unref();
    this.holder = holder.pid!;
    recordProcess(this.runDir, this.holder, `mount namespace of ${this.spec.name}`);
    const ownMnt = readlinkSync("/proc/self/ns/mnt");
    this.mntId = await waitUntil(
      `mount namespace of ${this.spec.name}`,
      () => {
        const id = readlinkSync(`/proc/${this.holder}/ns/mnt`);
        return id !== ownMnt ? id : undefined;
      },
      10_000,
      50,
    );
    record(this.runDir, { kind: "namespaces", mnt: this.mntId, net: this.netns.id, holder: this.holder });

    const binds = Object.entries(OWN_DIRS).map(([target, sub]) => `mount --bind ${quote(this.fs(sub))} ${target}`);
    const devices = DEVICES.map(
      (d) =>
        `[ -e /dev/${d} ] && mknod -m "$(stat -c %a /dev/${d})" /run/.dev/${d} "$([ -b /dev/${d} ] && echo b || echo c)" $(stat -c '0x%t 0x%T' /dev/${d}) || true`,
    );
    const script = [
      "set -e",
      ...binds,
      "mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run",
      "mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp",
      "mkdir /run/.dev",
      "mount -t tmpfs -o mode=755,nosuid tmpfs /run/.dev",
      ...devices,
      "ln -s /proc/self/fd /run/.dev/fd && ln -s /proc/self/fd/0 /run/.dev/stdin && ln -s /proc/self/fd/1 /run/.dev/stdout && ln -s /proc/self/fd/2 /run/.dev/stderr",
      "ln -s pts/ptmx /run/.dev/ptmx && mkdir /run/.dev/pts /run/.dev/shm /run/.dev/mqueue",
      "mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts /run/.dev/pts",
      "mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /run/.dev/shm",
      "mount --move /run/.dev /dev",
      // Shared within this namespace only (it was copied private): Docker's rslave binds (node-exporter's /host) need it.
      "mount --make-rshared /",
      `hostname ${quote(hostname)}`,
    ].join("\n");
    await run("nsenter", [
      `--mount=/proc/${this.holder}/ns/mnt`,
      `--uts=/proc/${this.holder}/ns/uts`,
      "sh",
      "-c",
      script,
    ]);
  }

  /** The command line that runs `argv` inside this host as root. */
  enter(argv: string[]): string[] {
    return [
      "nsenter",
      `--mount=/proc/${this.holder}/ns/mnt`,
      `--uts=/proc/${this.holder}/ns/uts`,
      `--net=${this.netns.path}`,
      "--wd=/",
      "--",
      "env",
      "-i",
      `PATH=${HOST_PATH}`,
      "HOME=/root",
      "LANG=C.UTF-8",
      ...argv,
    ];
  }

  /** Runs a shell script on the host as root (the console, not SSH). */
  exec(script: string, options: RunOptions = {}): Promise<RunResult> {
    const [command, ...args] = this.enter(["sh", "-c", script]);
    return run(command, args, { timeoutMs: 300_000, ...options });
  }

  /** `docker ...` on this host's engine. */
  docker(args: string[], options: RunOptions = {}): Promise<RunResult> {
    const [command, ...rest] = this.enter(["docker", ...args]);
    return run(command, rest, { timeoutMs: 300_000, ...options });
  }

  private startDaemon(name: string, argv: string[]): ChildProcess {
    const log = openSync(join(this.dir, "logs", `${name}.log`), "a");
    const [command, ...args] = this.enter(argv);
    const child = spawn(command, args, { detached: true, stdio: ["ignore", log, log] });
    closeSync(log);
    child.unref();
    recordProcess(this.runDir, child.pid!, `${name} of ${this.spec.name}`);
    return child;
  }

  /**
   * Applies the user-data with cloud-init's own modules (NoCloud data source):
   * write_files, users_groups, runcmd. Package installation cannot run for
   * one namespace (it would change the machine), so the packages come from
   * the machine (.ci/run installs them); systemctl, which needs systemd as
   * PID 1, is recorded and its job done by the bed (see README).
   */
  private async applyCloudInit(): Promise<void> {
    const seed = this.fs("var-lib/cloud/seed/nocloud");
    mkdirSync(seed, { recursive: true });
    writeFileSync(join(seed, "user-data"), this.spec.userData);
    writeFileSync(
      join(seed, "meta-data"),
      `instance-id: orion-${this.spec.name}\nlocal-hostname: orion-${this.spec.name}\n`,
    );
    for (const f of existsSync(this.fs("etc/cloud/cloud.cfg.d")) ? readdirSync(this.fs("etc/cloud/cloud.cfg.d")) : [])
      if (f.endsWith(".cfg") && f !== "05_logging.cfg") rmSync(this.fs(`etc/cloud/cloud.cfg.d/${f}`));
    mkdirSync(this.fs("etc/cloud"), { recursive: true });
    writeFileSync(
      this.fs("etc/cloud/cloud.cfg"),
      [
        "# The test bed's cloud-init: the modules of Ubuntu's stages that the user-data uses and that can run in a namespace.",
        "datasource_list: [NoCloud]",
        "network: {config: disabled}",
        "preserve_hostname: true",
        "cloud_init_modules: [write-files, users-groups]",
        "cloud_config_modules: [runcmd]",
        "cloud_final_modules: [scripts-user]",
        "system_info: {distro: debian, paths: {cloud_dir: /var/lib/cloud/, run_dir: /run/cloud-init/}}",
        "",
      ].join("\n"),
    );
    // Hetzner puts the stack's SSH keys on root; runcmd copies them to the deploy user.
    mkdirSync(this.fs("root/.ssh"), { recursive: true, mode: 0o700 });
    writeFileSync(this.fs("root/.ssh/authorized_keys"), `${this.spec.rootKeys.join("\n")}\n`, { mode: 0o600 });
    // Host keys: the machine's, copied with /etc (the same on every bed host; clients do not check them).
    const shims = join(this.dir, "shims");
    mkdirSync(shims, { recursive: true });
    const systemctlLog = join(this.dir, "logs", "systemctl.log");
    writeFileSync(
      join(shims, "systemctl"),
      `#!/bin/sh\n# The test bed has no systemd: record what cloud-init asks for; the bed starts the services itself.\necho "$*" >> ${quote(systemctlLog)}\n`,
      { mode: 0o755 },
    );
    const result = await this.exec(
      `PATH=${quote(shims)}:$PATH; cloud-init init && cloud-init modules --mode config && cloud-init modules --mode final`,
      { allowFail: true, timeoutMs: 300_000 },
    );
    const errors = (await this.exec("cat /run/cloud-init/result.json", { allowFail: true })).stdout;
    const parsed = errors ? (JSON.parse(errors) as { v1: { errors: string[] } }) : undefined;
    if (result.code !== 0 || !parsed || parsed.v1.errors.length > 0) {
      throw new Error(
        `cloud-init failed on ${this.spec.name} (exit ${result.code}): ${parsed ? parsed.v1.errors.join("; ") : "no result.json"}\n${result.stdout}${result.stderr}`,
      );
    }
    const asked = existsSync(systemctlLog) ? readFileSync(systemctlLog, "utf8").trim().split("\n") : [];
    for (const line of asked)
      this.bootNotes.push(`cloud-init ran \`systemctl ${line}\`: ${this.systemctlAnswer(line)}`);
  }

  private systemctlAnswer(line: string): string {
    const units = line.split(/\s+/).filter((w) => !w.startsWith("-") && !["enable", "start", "restart"].includes(w));
    return units
      .map((u) =>
        u === "docker"
          ? "the bed starts dockerd"
          : u === "ssh"
            ? "the bed starts sshd"
            : `${u} is not installed on the bed`,
      )
      .join("; ");
  }

  /** Starts sshd (on every address, as on a Hetzner server). */
  async startSshd(): Promise<void> {
    await this.exec("mkdir -p /run/sshd && chmod 755 /run/sshd");
    this.startDaemon("sshd", ["/usr/sbin/sshd", "-D", "-e"]);
    await waitUntil(
      `sshd on ${this.spec.name}`,
      async () => (await this.prober.openPorts(this.spec.publicIp, [22], 500)).length === 1,
      180_000,
      200,
    );
  }

  /** Starts the Docker engine with the server's /etc/docker/daemon.json and this host's cgroup parent. */
  async startEngine(): Promise<void> {
    this.dockerd = this.startDaemon("dockerd", [
      "dockerd",
      "--storage-driver",
      this.engine.storageDriver,
      "--cgroup-parent",
      `/${this.cgroup}`,
      "--add-runtime",
      `testbed-runc=${this.engine.runtime}`,
      "--default-runtime",
      "testbed-runc",
    ]);
    const child = this.dockerd;
    // A busy machine can keep a restarting engine (live-restore finding every container dead) from answering for minutes; a dead one fails at once.
    const outcome = await waitUntil(
      `the Docker engine on ${this.spec.name}`,
      async () =>
        child.exitCode !== null
          ? "exited"
          : (await this.docker(["version", "--format", "{{.Server.Version}}"], { allowFail: true, timeoutMs: 10_000 }))
                .code === 0
            ? "up"
            : undefined,
      600_000,
      300,
    );
    if (outcome === "exited")
      throw new Error(`dockerd on ${this.spec.name} exited ${child.exitCode}: ${this.log("dockerd")}`);
  }

  /** Stops the engine as `systemctl stop docker` would (SIGTERM). With live-restore, containers keep running. */
  async stopEngine(): Promise<void> {
    const child = this.dockerd;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await Promise.race([exited, sleep(60_000)]);
    if (child.exitCode === null) child.kill("SIGKILL");
  }

  /** Last lines of a daemon's log (`sshd`, `dockerd`). */
  log(name: string, lines = 30): string {
    const file = join(this.dir, "logs", `${name}.log`);
    return existsSync(file) ? readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n") : "";
  }

  /**
   * Power loss: every process of the server dies (containers, dockerd,
   * containerd, shims, sshd), runtime mounts and /run, /tmp go, network
   * state Docker made (bridges, iptables rules) is reset. Disks, attached
   * volumes and /etc stay.
   */
  async powerOff(): Promise<void> {
    killCgroup(this.cgroup);
    await waitUntil(
      `every process of ${this.spec.name} to die`,
      () => {
        const left = processesIn({ mnt: this.mntId, net: this.netns.id }, [this.holder]);
        for (const pid of left) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // gone
          }
        }
        killCgroup(this.cgroup);
        return left.length === 0;
      },
      60_000,
      200,
    );
    const reset = [
      "awk '{print $2}' /proc/self/mounts | grep -E '^/(mnt/.+|var/lib/docker/.+|run/.+|tmp/.+)$' | sort -r | while read -r m; do umount -l \"$m\"; done",
      "umount -l /run && mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run",
      "umount -l /tmp && mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp",
      "ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -vxE 'lo|eth0|eth1' | while read -r l; do ip link delete \"$l\" 2>/dev/null || true; done",
      "for t in filter nat mangle raw; do iptables -t $t -F && iptables -t $t -X; done",
      "iptables -P FORWARD ACCEPT",
    ].join("\n");
    await this.exec(reset);
  }

  /**
   * Power on: fstab is mounted as systemd would (`nofail` entries whose
   * device is missing are skipped; `mountFstab: false` leaves every entry
   * unmounted, as when the volume appears too late), then sshd and Docker
   * start; Docker restarts the containers by their restart policy.
   */
  async boot(options: { mountFstab?: boolean } = {}): Promise<void> {
    if (options.mountFstab ?? true) {
      await this.exec(
        'grep -vE \'^\\s*(#|$)\' /etc/fstab | while read -r dev mp rest; do if [ -e "$dev" ] && ! mountpoint -q "$mp"; then mkdir -p "$mp"; mount "$mp"; fi; done',
      );
    }
    await this.startSshd();
    await this.startEngine();
  }

  async reboot(options: { mountFstab?: boolean } = {}): Promise<void> {
    await this.powerOff();
    await this.boot(options);
  }

  /** Loads the images (from the bed's cache) that the engine lacks; returns what it loaded. */
  async loadImages(refs: string[]): Promise<string[]> {
    return loadImages(this, this.images, refs);
  }

  /** Every container of the compose project, as `docker inspect` reads it. */
  async containers(project = "orion"): Promise<ContainerState[]> {
    const ids = (await this.docker(["ps", "-aq", "--filter", `label=com.docker.compose.project=${project}`])).stdout
      .split("\n")
      .filter(Boolean);
    if (ids.length === 0) return [];
    const inspected = JSON.parse((await this.docker(["inspect", ...ids])).stdout) as {
      Id: string;
      Name: string;
      Config: { Labels: Record<string, string>; Image: string };
      State: { Status: string; Running: boolean; Health?: { Status: string }; StartedAt: string };
      HostConfig: { Memory: number };
      RestartCount: number;
    }[];
    return inspected.map((c) => ({
      id: c.Id,
      name: c.Name.replace(/^\//, ""),
      service: c.Config.Labels["com.docker.compose.service"],
      status: c.State.Status,
      running: c.State.Running,
      health: c.State.Health?.Status,
      memoryBytes: c.HostConfig.Memory,
      startedAt: c.State.StartedAt,
      restartCount: c.RestartCount,
      image: c.Config.Image,
    }));
  }

  /** Stops probes; the bed kills everything else by PID when it stops. */
  close(): void {
    this.prober.close();
  }
}

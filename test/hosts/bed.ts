import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ensureImages, type ImageSet } from "./images/build";
import { engineProblem, Host, type EngineSetup } from "./host";
import { addNamespace, NEIGHBOUR_IP, OPERATOR_IP, PRIVATE_PREFIX, PUBLIC_PREFIX, Switch } from "./network";
import { Prober, type HttpAnswer, type HttpRequest } from "./probes";
import { composeImages, pulledImages, runProgram, type ProgramRun, type RemoteCommand } from "./program";
import { run, tail, type RunResult } from "./run";
import { cleanRun, cleanStale, newRun, type RunDir } from "./state";
import { Volume } from "./volume";
import { startObjectStorage, type ObjectStorage } from "./objects";
import { writeRuntimeWrapper } from "./runtime";
import { startResolver } from "./resolver";

/**
 * The domain the bed's stacks serve; only the bed's own namespaces use it (probes dial the address).
 * `pulumi up` refuses names reserved for examples (.test, example.com) as placeholders; `.internal`
 * is reserved for private use, which a bed is.
 */
export const BED_DOMAIN = "orion.internal";
/**
 * `orion:adminCidrs` feeds only Hetzner's cloud firewall, which the bed does not simulate; `pulumi up`
 * refuses documentation ranges (the bed's 203.0.113.0/24) as placeholders, so it names an address of
 * the shared address space (RFC 6598) that stands for the operator's machine.
 */
export const BED_ADMIN_CIDR = "100.64.0.2/32";

export interface BedOptions {
  /** Stack config as `pulumi config` holds it, keys without `orion:` (stage, workerServers, ...). */
  config: Record<string, unknown>;
  /** Servers of the plan to simulate (default: all); later `up`s may add servers named here. */
  servers?: string[];
}

export interface CommandResult {
  name: string;
  server: string;
  kind: RemoteCommand["kind"];
  /** ran; unchanged (Pulumi would not run it); satisfied (a pull: every image is already on the engine); skipped (its server is not simulated, or what it waits for failed). */
  outcome: "ran" | "unchanged" | "satisfied" | "skipped";
  code?: number;
  ms?: number;
  output?: string;
}

export interface UpResult {
  ok: boolean;
  commands: CommandResult[];
  /** Hosts the up created (new servers of the plan). */
  created: string[];
  /** Volumes moved from one server to another. */
  moved: { volume: string; from: string; to: string }[];
  ms: number;
  program: ProgramRun;
}

function storageDriverProbe(dir: string): Promise<RunResult> {
  // overlay2 shares image layers between containers; vfs copies them for each container and is the fallback.
  return run(
    "unshare",
    [
      "--mount",
      "--propagation",
      "private",
      "sh",
      "-c",
      `cd ${dir} && mkdir -p ovl/l ovl/u ovl/w ovl/m && mount -t overlay overlay -o lowerdir=ovl/l,upperdir=ovl/u,workdir=ovl/w ovl/m && umount ovl/m; rc=$?; rm -rf ovl; exit $rc`,
    ],
    { allowFail: true },
  );
}

/**
 * The real-hosts test bed: servers of a plan as network namespaces with
 * their own Docker engine and sshd, an operator's machine on the internet
 * side, a neighbour on the private network, and `up()`, which sends what
 * `pulumi up` sends. See test/hosts/README.md.
 */
export class TestBed {
  readonly hosts = new Map<string, Host>();
  readonly volumes = new Map<string, Volume>();
  /** Probes from the operator's machine on the internet side (203.0.113.2). */
  operator!: Prober;
  /** Probes from a machine on the private network that is not a server of the plan (10.0.1.254). */
  neighbour!: Prober;
  /** The last program run: what the last `up` sent. */
  program!: ProgramRun;
  /** Object Storage for pgBackRest's repository (s3rver on the internet side, 203.0.113.3). */
  objects!: ObjectStorage;
  private net!: Switch;
  private engine!: EngineSetup;
  private key = "";
  private publicKey = "";
  private applied = new Map<string, string>();
  private stopped = false;
  private readonly onExit = () => this.stopNow();

  private constructor(
    readonly run: RunDir,
    readonly images: ImageSet,
    private readonly only?: string[],
  ) {}

  static async start(options: BedOptions): Promise<TestBed> {
    // Network namespaces, Docker engines, loop devices and cgroups are root's; say so rather than fail halfway.
    if (process.getuid?.() !== 0) {
      throw new Error(
        "the real-hosts test bed needs root (network namespaces, Docker engines, loop devices): run `sudo npm test`, or leave the bed out with `npx jest --selectProjects model program tools servers`",
      );
    }
    const problem = engineProblem();
    if (problem) throw new Error(problem);
    cleanStale();
    const images = await ensureImages();
    const bed = new TestBed(newRun(), images, options.servers);
    process.once("exit", bed.onExit);
    try {
      await bed.init();
      bed.program = await runProgram(bed.fullConfig(options.config));
      await bed.createServers(bed.program);
    } catch (error) {
      await bed.stop();
      throw error;
    }
    return bed;
  }

  private async init(): Promise<void> {
    this.engine = {
      storageDriver: (await storageDriverProbe(this.run.dir)).code === 0 ? "overlay2" : "vfs",
      runtime: writeRuntimeWrapper(this.run.dir),
    };
    const keyFile = join(this.run.dir, "deploy-key");
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "orion-testbed", "-f", keyFile]);
    this.key = keyFile;
    this.publicKey = readFileSync(`${keyFile}.pub`, "utf8").trim();
    this.net = await Switch.create(this.run);
    const operator = await addNamespace(this.run, `otb-${this.run.id}-operator`);
    await this.net.plug(operator, "eth0", "pub", `${OPERATOR_IP}/${PUBLIC_PREFIX}`);
    const neighbour = await addNamespace(this.run, `otb-${this.run.id}-neighbour`);
    await this.net.plug(neighbour, "eth0", "priv", `${NEIGHBOUR_IP}/${PRIVATE_PREFIX}`);
    this.operator = new Prober(this.run, operator.path, "operator");
    await startResolver(this.run, operator.path);
    this.objects = await startObjectStorage(this.run, this.net);
    this.neighbour = new Prober(this.run, neighbour.path, "neighbour");
  }

  /** The scenario's config plus what the bed needs: its deploy key, the operator's address, a domain, its object storage. */
  fullConfig(config: Record<string, unknown>): Record<string, unknown> {
    const backups = {
      backupBucket: this.objects.bucket,
      backupEndpoint: this.objects.endpoint,
      backupCaCert: this.objects.caPem,
    };
    return { domain: BED_DOMAIN, ...backups, ...config, sshPublicKeys: [this.publicKey], adminCidrs: [BED_ADMIN_CIDR] };
  }

  private simulated(program: ProgramRun): string[] {
    return program.plan.servers.map((s) => s.name).filter((name) => !this.only || this.only.includes(name));
  }

  /** New servers get a host (and their volume, created and attached, as Hetzner does for a new volume). */
  private async createServers(program: ProgramRun): Promise<string[]> {
    const names = this.simulated(program).filter((name) => !this.hosts.has(name));
    await Promise.all(
      names.map(async (name) => {
        const s = program.servers[name];
        const host = await Host.create(
          this.run,
          { name, publicIp: s.publicIp, privateIp: s.privateIp, userData: s.userData, rootKeys: [this.publicKey] },
          this.net,
          this.engine,
          this.images,
        );
        this.hosts.set(name, host);
      }),
    );
    for (const v of program.plan.volumes) {
      if (this.volumes.has(v.name) || !this.hosts.has(v.server)) continue;
      const volume = await Volume.create(this.run, v.name, v.sizeGb);
      this.volumes.set(v.name, volume);
      await volume.attach(this.hosts.get(v.server)!);
    }
    return names;
  }

  host(name: string): Host {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`the bed runs no host ${name}; it runs ${[...this.hosts.keys()].join(", ")}`);
    return host;
  }

  /** Runs a command as the deploy user over SSH from the operator's machine, as @pulumi/command's remote.Command does: the script as the exec request, `stdin` on stdin. */
  ssh(host: Host, script: string, stdin?: string, user = "deploy"): Promise<RunResult> {
    return run(
      "nsenter",
      [
        `--net=/run/netns/otb-${this.run.id}-operator`,
        "ssh",
        "-F",
        "/dev/null",
        "-i",
        this.key,
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "LogLevel=ERROR",
        "-o",
        "ConnectTimeout=20",
        `${user}@${host.publicIp}`,
        script,
      ],
      { input: stdin ?? "", allowFail: true, timeoutMs: 900_000 },
    );
  }

  private async runCommand(command: RemoteCommand): Promise<CommandResult> {
    const result = await this.ssh(this.host(command.server), command.create, command.stdin, command.user);
    if (result.code === 0) this.applied.set(command.name, command.fingerprint);
    else this.applied.delete(command.name);
    const diagnosis =
      result.code !== 0 && command.kind === "deploy" ? await this.diagnose(this.host(command.server)) : "";
    return {
      name: command.name,
      server: command.server,
      kind: command.kind,
      outcome: "ran",
      code: result.code,
      ms: result.ms,
      output: `${result.stdout}${result.stderr}${diagnosis}`,
    };
  }

  /** What a failed deploy left: each container that is not running and healthy, its last health check answer and log lines. */
  async diagnose(host: Host): Promise<string> {
    const lines: string[] = [];
    for (const c of await host.containers()) {
      if (c.running && (c.health === undefined || c.health === "healthy")) continue;
      const health = await host.docker(
        [
          "inspect",
          "--format",
          "{{if .State.Health}}{{range .State.Health.Log}}{{.ExitCode}}: {{.Output}}{{end}}{{end}}",
          c.name,
        ],
        { allowFail: true },
      );
      const logs = await host.docker(["logs", "--tail", "15", c.name], { allowFail: true });
      lines.push(
        `--- ${host.name}/${c.name}: ${c.status}${c.health ? `/${c.health}` : ""}, ${c.restartCount} restarts`,
        `health checks: ${health.stdout.trim().split("\n").slice(-3).join(" | ")}`,
        tail(logs.stdout + logs.stderr, 15),
      );
    }
    return lines.length > 0 ? `\n${lines.join("\n")}` : "";
  }

  /**
   * `pulumi up` with this config: new servers are created, commands whose
   * inputs changed run (`force` runs them anyway, as `pulumi up --replace`
   * would), in the program's order: releases, then volume moves, then
   * deploys. Pulls are satisfied by the bed's images: each pulled image
   * must already be on the engine, and nothing is pulled.
   */
  async up(config?: Record<string, unknown>, options: { force?: string[] } = {}): Promise<UpResult> {
    const started = Date.now();
    const program = config ? await runProgram(this.fullConfig(config)) : this.program;
    this.program = program;
    const created = await this.createServers(program);
    const simulated = new Set(this.simulated(program));
    const results = new Map<string, CommandResult>();
    const wanted = (c: RemoteCommand) =>
      simulated.has(c.server) && (this.applied.get(c.name) !== c.fingerprint || (options.force ?? []).includes(c.name));
    const failedBefore = (c: RemoteCommand) =>
      c.after.some((name) => results.get(name)?.code !== undefined && results.get(name)!.code !== 0);

    for (const c of program.commands.filter((x) => !simulated.has(x.server)))
      results.set(c.name, {
        name: c.name,
        server: c.server,
        kind: c.kind,
        outcome: "skipped",
        output: "server not simulated",
      });
    for (const c of program.commands.filter((x) => simulated.has(x.server) && !wanted(x)))
      results.set(c.name, { name: c.name, server: c.server, kind: c.kind, outcome: "unchanged" });

    // Images first: each engine gets what its compose file names and its pull script fetches (a server pulls them before its deploy).
    await Promise.all(
      program.commands
        .filter((c) => c.kind === "deploy" && simulated.has(c.server))
        .map((c) => {
          const pull = program.commands.find((p) => p.server === c.server && p.kind === "pull");
          return this.host(c.server).loadImages([
            ...composeImages(c.create),
            ...(pull ? pulledImages(pull.create) : []),
          ]);
        }),
    );
    for (const c of program.commands.filter((x) => x.kind === "pull" && wanted(x)))
      results.set(c.name, await this.satisfyPull(c));

    const releases = program.commands.filter((c) => c.kind === "release" && wanted(c));
    for (const r of await Promise.all(releases.map((c) => this.runCommand(c)))) results.set(r.name, r);

    const moved: UpResult["moved"] = [];
    for (const v of program.plan.volumes) {
      const volume = this.volumes.get(v.name);
      if (!volume || !this.hosts.has(v.server) || volume.attachedTo?.name === v.server) continue;
      const from = volume.attachedTo?.name ?? "";
      if (releases.some((c) => c.server === from && results.get(c.name)?.code !== 0)) continue;
      await volume.detach();
      await volume.attach(this.host(v.server));
      moved.push({ volume: v.name, from, to: v.server });
    }

    const deploys = program.commands.filter((c) => c.kind !== "release" && c.kind !== "pull" && wanted(c));
    const ran = await Promise.all(
      deploys.map((c) =>
        failedBefore(c)
          ? Promise.resolve<CommandResult>({
              name: c.name,
              server: c.server,
              kind: c.kind,
              outcome: "skipped",
              output: "a command it waits for failed",
            })
          : this.runCommand(c),
      ),
    );
    for (const r of ran) results.set(r.name, r);
    const commands = program.commands.map((c) => results.get(c.name)!);
    return {
      ok:
        commands.every((c) => c.code === undefined || c.code === 0) &&
        !commands.some((c) => c.outcome === "skipped" && c.output !== "server not simulated"),
      commands,
      created,
      moved,
      ms: Date.now() - started,
      program,
    };
  }

  /** A pull needs no registry when every image it names is on the engine already; anything else is a failure, not a pull. */
  private async satisfyPull(c: RemoteCommand): Promise<CommandResult> {
    const host = this.host(c.server);
    const absent: string[] = [];
    for (const image of pulledImages(c.create)) {
      if ((await host.docker(["image", "inspect", "--format", "{{.Id}}", image], { allowFail: true })).code !== 0)
        absent.push(image);
    }
    if (absent.length === 0) this.applied.set(c.name, c.fingerprint);
    return {
      name: c.name,
      server: c.server,
      kind: c.kind,
      outcome: absent.length === 0 ? "satisfied" : "ran",
      code: absent.length === 0 ? 0 : 1,
      output: absent.length ? `not on the engine and no registry to pull from: ${absent.join(", ")}` : "",
    };
  }

  /** Runs one server's deploy again with the last inputs (what `pulumi up --replace` on its deploy would do). */
  async redeploy(server: string): Promise<CommandResult> {
    const command = this.program.commands.find((c) => c.server === server && c.kind === "deploy");
    if (!command) throw new Error(`the program has no deploy for ${server}`);
    return this.runCommand(command);
  }

  /** An HTTPS request to the stack's domain through Caddy on a host's public address, from the operator's machine, trusting Caddy's internal CA. */
  async https(
    path: string,
    options: Omit<HttpRequest, "url" | "connectTo" | "ca"> & { via?: string } = {},
  ): Promise<HttpAnswer> {
    const via = this.host(options.via ?? "app");
    return this.operator.http({
      ...options,
      url: `https://${BED_DOMAIN}${path}`,
      connectTo: via.publicIp,
      ca: await this.caddyRootCa(via),
    });
  }

  private cas = new Map<string, string>();

  /** The root certificate of Caddy's internal CA on a host (what the bed's clients trust instead of Let's Encrypt). */
  async caddyRootCa(host: Host): Promise<string> {
    const known = this.cas.get(host.name);
    if (known) return known;
    const caddy = (await host.containers()).find((c) => c.service === "caddy" && c.running);
    if (!caddy) throw new Error(`no Caddy container runs on ${host.name}`);
    const pem = (await host.docker(["exec", caddy.name, "cat", "/data/caddy/pki/authorities/local/root.crt"])).stdout;
    this.cas.set(host.name, pem);
    return pem;
  }

  /** Stops everything the bed started, by PID, and removes its namespaces, loop devices and files. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.operator?.close();
    this.neighbour?.close();
    for (const host of this.hosts.values()) host.close();
    this.stopNow();
    process.removeListener("exit", this.onExit);
  }

  private stopNow(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (existsSync(this.run.dir)) cleanRun(this.run.dir);
  }

  /** A failed step's output, shortened for a test message. */
  static describe(result: CommandResult): string {
    return `${result.name}: ${result.outcome}${result.code !== undefined ? ` (exit ${result.code})` : ""}\n${tail(result.output ?? "", 25)}`;
  }
}

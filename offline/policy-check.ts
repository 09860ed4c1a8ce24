import * as grpc from "@grpc/grpc-js";
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import type { RecordedResource } from "./mock-run";
import { ensurePackBuilt } from "./pack-build";

/** The policy pack folder of this project. */
export const POLICY_PACK_DIR = join(__dirname, "..", "policies");

export type EnforcementLevel = "advisory" | "mandatory" | "disabled" | "remediate";

export interface PolicyDiagnostic {
  policyName: string;
  policyPackName: string;
  policyPackVersion: string;
  description: string;
  message: string;
  enforcementLevel: EnforcementLevel;
  urn: string;
}

const LEVELS: Record<number, EnforcementLevel> = {
  [analyzer.EnforcementLevel.ADVISORY]: "advisory",
  [analyzer.EnforcementLevel.MANDATORY]: "mandatory",
  [analyzer.EnforcementLevel.DISABLED]: "disabled",
  [analyzer.EnforcementLevel.REMEDIATE]: "remediate",
};

/** Policy config as `pulumi preview --policy-pack-config` takes it: policy name -> level and properties. */
export type PolicyConfig = Record<string, { enforcementLevel?: EnforcementLevel; [property: string]: unknown }>;

function call<Req, Res>(
  method: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown,
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => method(req, (err, res) => (err ? reject(err) : resolve(res))));
}

function options(r: RecordedResource): analyzer.AnalyzerResourceOptions {
  return new analyzer.AnalyzerResourceOptions()
    .setProtect(r.protect)
    .setIgnorechangesList(r.ignoreChanges)
    .setDeletebeforereplace(r.deleteBeforeReplace)
    .setDeletebeforereplacedefined(true)
    .setParent(r.parent);
}

/**
 * The policy pack running as the Pulumi CLI runs it: its own Node process
 * started with `run-policy-pack` in the pack's folder, printing the port it
 * serves the Analyzer protocol on.
 */
export class PolicyPackProcess {
  private constructor(
    private readonly child: ChildProcess,
    private readonly client: AnalyzerClient,
  ) {}

  static async start(
    packDir = POLICY_PACK_DIR,
    env: { project?: string; stack?: string; config?: Record<string, string> } = {},
  ): Promise<PolicyPackProcess> {
    if (packDir === POLICY_PACK_DIR) ensurePackBuilt();
    const runner = join(dirname(require.resolve("@pulumi/pulumi/package.json")), "cmd", "run-policy-pack");
    const child = spawn(process.execPath, [runner, "127.0.0.1:0", "."], {
      cwd: packDir,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        PULUMI_CONFIG: JSON.stringify(env.config ?? {}),
        PULUMI_NODEJS_PROJECT: env.project ?? "orion",
        PULUMI_NODEJS_STACK: env.stack ?? "prod",
        PULUMI_NODEJS_DRY_RUN: "true",
      },
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += String(chunk)));
    const port = await new Promise<number>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout });
      lines.once("line", (line) => resolve(Number(line.trim())));
      child.once("exit", (code) =>
        reject(new Error(`the policy pack exited with ${code} before serving: ${stderr.trim()}`)),
      );
    });
    if (!Number.isInteger(port) || port <= 0) throw new Error(`the policy pack printed no port: ${stderr.trim()}`);
    return new PolicyPackProcess(child, new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()));
  }

  async info(): Promise<{
    name: string;
    version: string;
    policies: { name: string; enforcementLevel: EnforcementLevel }[];
  }> {
    const info = await call<Empty, analyzer.AnalyzerInfo>(this.client.getAnalyzerInfo.bind(this.client), new Empty());
    return {
      name: info.getName(),
      version: info.getVersion(),
      policies: info
        .getPoliciesList()
        .map((p) => ({ name: p.getName(), enforcementLevel: LEVELS[p.getEnforcementlevel()] })),
    };
  }

  async configure(config: PolicyConfig): Promise<void> {
    const req = new analyzer.ConfigureAnalyzerRequest();
    const levels: Record<EnforcementLevel, analyzer.EnforcementLevel> = {
      advisory: 0,
      mandatory: 1,
      disabled: 2,
      remediate: 3,
    };
    // The CLI sends each policy's own level when the config file gives none (0 on the wire would read as advisory).
    const defaults = Object.fromEntries((await this.info()).policies.map((p) => [p.name, p.enforcementLevel]));
    for (const [policy, { enforcementLevel, ...properties }] of Object.entries(config)) {
      const entry = new analyzer.PolicyConfig().setProperties(
        Struct.fromJavaScript(properties as Record<string, never>),
      );
      const level = enforcementLevel ?? defaults[policy];
      if (level) entry.setEnforcementlevel(levels[level]);
      req.getPolicyconfigMap().set(policy, entry);
    }
    await call(this.client.configure.bind(this.client), req);
  }

  /** The engine's order: Analyze per resource with its inputs, then one AnalyzeStack with all of them. */
  async analyze(resources: RecordedResource[]): Promise<PolicyDiagnostic[]> {
    const diagnostics: PolicyDiagnostic[] = [];
    const collect = (res: analyzer.AnalyzeResponse, fallbackUrn: string) => {
      for (const d of res.getDiagnosticsList()) {
        diagnostics.push({
          policyName: d.getPolicyname(),
          policyPackName: d.getPolicypackname(),
          policyPackVersion: d.getPolicypackversion(),
          description: d.getDescription(),
          message: d.getMessage(),
          enforcementLevel: LEVELS[d.getEnforcementlevel()],
          urn: d.getUrn() || fallbackUrn,
        });
      }
    };
    for (const r of resources) {
      const req = new analyzer.AnalyzeRequest()
        .setType(r.type)
        .setUrn(r.urn)
        .setName(r.name)
        .setProperties(Struct.fromJavaScript(r.inputs as Record<string, never>))
        .setOptions(options(r));
      collect(await call(this.client.analyze.bind(this.client), req), r.urn);
    }
    const stack = new analyzer.AnalyzeStackRequest().setResourcesList(
      resources.map((r) => {
        const resource = new analyzer.AnalyzerResource()
          .setType(r.type)
          .setUrn(r.urn)
          .setName(r.name)
          .setProperties(Struct.fromJavaScript(r.inputs as Record<string, never>))
          .setOptions(options(r))
          .setParent(r.parent)
          .setDependenciesList(r.dependencies);
        for (const [key, urns] of Object.entries(r.propertyDependencies))
          resource.getPropertydependenciesMap().set(key, new analyzer.AnalyzerPropertyDependencies().setUrnsList(urns));
        return resource;
      }),
    );
    collect(await call(this.client.analyzeStack.bind(this.client), stack), "");
    return diagnostics;
  }

  async stop(): Promise<void> {
    this.client.close();
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once("exit", resolve));
      this.child.kill();
      await exited;
    }
  }
}

/** Diagnostics the way `pulumi preview` prints them under "Policies:". */
export function formatDiagnostics(diagnostics: PolicyDiagnostic[], pack: { name: string; version: string }): string {
  const mandatory = diagnostics.some((d) => d.enforcementLevel === "mandatory");
  const lines = [
    "Policies:",
    `    ${mandatory ? "❌" : diagnostics.length > 0 ? "⚠️ " : "✅"} ${pack.name}@v${pack.version} (local: policies)`,
  ];
  for (const d of diagnostics) {
    // As the CLI shows it: the resource's type and name; stack-wide findings name no resource.
    const where = d.urn ? `  (${d.urn.split("::")[2]?.split("$").pop()}: ${d.urn.split("::").pop()})` : "";
    // The pack puts the policy's description on the message's first line, as the CLI shows it.
    lines.push(
      `        - [${d.enforcementLevel}]  ${d.policyName}${where}`,
      ...d.message.split("\n").map((line) => `          ${line}`),
    );
  }
  return lines.join("\n");
}

/**
 * Starts the pack and analyzes the resources as a preview would, then stops
 * it. The resources may still be coming (the program running under mocks):
 * the pack starts meanwhile, as it would beside a real preview.
 */
export async function checkPolicies(
  resources: RecordedResource[] | Promise<RecordedResource[]>,
  options: { config?: PolicyConfig; stackConfig?: Record<string, string> } = {},
): Promise<{ diagnostics: PolicyDiagnostic[]; report: string; blocked: boolean }> {
  const starting = PolicyPackProcess.start(POLICY_PACK_DIR, { config: options.stackConfig });
  let recorded: RecordedResource[];
  try {
    recorded = await resources;
  } catch (error) {
    await (await starting.catch(() => undefined))?.stop();
    throw error;
  }
  const pack = await starting;
  try {
    const info = await pack.info();
    if (options.config && Object.keys(options.config).length > 0) await pack.configure(options.config);
    const diagnostics = await pack.analyze(recorded);
    return {
      diagnostics,
      report: formatDiagnostics(diagnostics, info),
      blocked: diagnostics.some((d) => d.enforcementLevel === "mandatory"),
    };
  } finally {
    await pack.stop();
  }
}

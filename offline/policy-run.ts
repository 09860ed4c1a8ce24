import type { PolicyResource, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import type { OrionPolicy } from "../policies/lib/policy";
import { POLICIES } from "../policies/rules";
import type { MockRun, RecordedResource } from "./mock-run";
import { unwrap } from "./wire";

/** Defaults from a policy's configSchema, with overrides, as the pack hands them to getConfig. */
function configOf(policy: OrionPolicy, overrides: Record<string, unknown>) {
  const defaults = Object.fromEntries(
    Object.entries(policy.configSchema?.properties ?? {}).map(([k, v]) => [k, (v as { default?: unknown }).default]),
  );
  return { ...defaults, ...overrides };
}

const notApplicable = (reason?: string): never => {
  throw new Error(`not applicable: ${reason}`);
};

/** Validation args built by hand, as pulumi/compliance-policies tests do; props are what the pack sees (secrets decrypted). */
function resourceArgs(
  r: RecordedResource,
  config: Record<string, unknown>,
  policy: OrionPolicy,
): ResourceValidationArgs {
  return {
    type: r.type,
    name: r.name,
    urn: r.urn,
    props: unwrap(r.inputs) as Record<string, unknown>,
    opts: {
      protect: r.protect,
      ignoreChanges: r.ignoreChanges,
      aliases: [],
      additionalSecretOutputs: [],
    } as unknown as ResourceValidationArgs["opts"],
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => configOf(policy, config) as T,
    notApplicable,
  };
}

/** The resources as AnalyzeStack hands them to a stack policy: parents and dependencies as resource objects. */
export function policyResources(run: Pick<MockRun, "resources">): PolicyResource[] {
  const resources: PolicyResource[] = run.resources.map((r) => ({
    type: r.type,
    name: r.name,
    urn: r.urn,
    props: unwrap(r.inputs) as Record<string, unknown>,
    opts: { protect: r.protect, ignoreChanges: r.ignoreChanges, aliases: [] } as unknown as PolicyResource["opts"],
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  }));
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  run.resources.forEach((r, i) => {
    resources[i].dependencies = r.dependencies.flatMap((u) => byUrn.get(u) ?? []);
    resources[i].propertyDependencies = Object.fromEntries(
      Object.entries(r.propertyDependencies).map(([k, urns]) => [k, urns.flatMap((u) => byUrn.get(u) ?? [])]),
    );
  });
  return resources;
}

/** Messages one policy reports for a run, called in this process (the pack process is tested in pack.test.ts). */
export function violations(
  policy: OrionPolicy,
  run: Pick<MockRun, "resources">,
  config: Record<string, unknown> = {},
): string[] {
  const messages: string[] = [];
  if ("validateStack" in policy) {
    const args: StackValidationArgs = {
      resources: policyResources(run),
      stackTags: new Map(),
      getConfig: <T extends object>() => configOf(policy, config) as T,
      notApplicable,
    };
    void policy.validateStack(args, (message) => messages.push(message));
    return messages;
  }
  const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
  for (const r of run.resources)
    for (const validate of validations)
      void validate(resourceArgs(r, config, policy), (message) => messages.push(message));
  return messages;
}

/** Every policy's messages, as `policy: message`. */
export const allViolations = (run: Pick<MockRun, "resources">) =>
  POLICIES.flatMap((p) => violations(p, run).map((m) => `${p.name}: ${m}`));

/** A copy of a run with one resource changed: what a tampered program would register. */
export function tamper(
  run: MockRun,
  name: string,
  change: (inputs: Record<string, unknown>, resource: RecordedResource) => void,
  type?: string,
): MockRun {
  const copy = JSON.parse(JSON.stringify(run)) as MockRun;
  const target = copy.resources.find((r) => r.name === name && r.custom && (type === undefined || r.type === type));
  if (!target) throw new Error(`no resource ${name}`);
  change(target.inputs, target);
  return copy;
}

const HEREDOC = (path: string) =>
  new RegExp(
    `(^cat > '${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}' <<'ORION_FILE_EOF'\\n)([\\s\\S]*?)(^ORION_FILE_EOF$)`,
    "m",
  );

/** A file as a server's deploy writes it. */
export function deployedFile(run: MockRun, server: string, path: string): string {
  const deploy = run.resources.find((r) => r.name === `${server}-deploy`);
  const match = HEREDOC(path).exec(String(unwrap(deploy?.inputs.create)));
  if (!match) throw new Error(`${server}-deploy writes no ${path}`);
  return match[2];
}

/** A copy of a run whose `<server>-deploy` writes `path` changed by `edit`: the tampered file, the declared budget untouched. */
export function tamperFile(run: MockRun, server: string, path: string, edit: (content: string) => string): MockRun {
  const before = deployedFile(run, server, path);
  const after = edit(before);
  if (after === before) throw new Error(`the edit leaves ${path} on ${server} unchanged`);
  return tamper(run, `${server}-deploy`, (inputs) => {
    inputs.create = String(inputs.create).replace(HEREDOC(path), (_, start, _body, end) => `${start}${after}${end}`);
  });
}

/** Replaces the value of the first `key:` line of a service's block in a compose file (any depth under `  service:`). */
export function editService(service: string, key: string, value: string | ((old: string) => string)) {
  return (compose: string): string => {
    const pattern = new RegExp(`(\\n  ${service}:\\n(?:    .*\\n)*?[ ]{4,}${key}: )(.*)`);
    if (!pattern.test(compose)) throw new Error(`no ${key} under ${service}`);
    return compose.replace(
      pattern,
      (_, head: string, old: string) => `${head}${typeof value === "function" ? value(old) : value}`,
    );
  };
}

/** Adds lines to a service's block in a compose file. */
export function addToService(service: string, lines: string) {
  return (compose: string): string =>
    compose.replace(new RegExp(`(\\n  ${service}:\\n)`), `$1${lines.replace(/\n?$/, "\n")}`);
}

/** The 1-based line of the first line containing `needle`, after the first line containing `after`. */
export function lineOf(content: string, needle: string, after?: string): number {
  const lines = content.split("\n");
  const start = after === undefined ? 0 : lines.findIndex((line) => line.includes(after));
  const index = lines.findIndex((line, i) => i >= start && line.includes(needle));
  if (start < 0 || index < 0) throw new Error(`no line contains ${needle}${after ? ` after ${after}` : ""}`);
  return index + 1;
}

type BudgetService = { name: string; memoryLimitMb: number; replicas: number; [k: string]: unknown };

/** Changes one service in a server's declared budget (the deploy command's first trigger) and nothing else. */
export function tamperRecord(
  run: MockRun,
  server: string,
  change: (record: { serverType: string; services: BudgetService[]; [k: string]: unknown }) => void,
): MockRun {
  return tamper(run, `${server}-deploy`, (inputs) => change((inputs.triggers as never[])[0]));
}

import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import type { MockRun, RecordedResource } from "../../preview/mock-run";
import { unwrap } from "../../preview/wire";

/** Defaults from a policy's configSchema, with overrides, as the pack hands them to getConfig. */
function configOf(policy: { configSchema?: { properties: Record<string, { default?: unknown }> } }, overrides: Record<string, unknown>) {
  const defaults = Object.fromEntries(Object.entries(policy.configSchema?.properties ?? {}).map(([k, v]) => [k, v.default]));
  return { ...defaults, ...overrides };
}

const notApplicable = (reason?: string): never => {
  throw new Error(`not applicable: ${reason}`);
};

/** Validation args built by hand, as pulumi/compliance-policies tests do; props are what the pack sees (secrets decrypted). */
export function resourceArgs(r: Pick<RecordedResource, "type" | "name" | "urn" | "inputs" | "protect" | "ignoreChanges">, config: Record<string, unknown> = {}, policy: ResourceValidationPolicy): ResourceValidationArgs {
  return {
    type: r.type,
    name: r.name,
    urn: r.urn,
    props: unwrap(r.inputs) as Record<string, unknown>,
    opts: { protect: r.protect, ignoreChanges: r.ignoreChanges, aliases: [], additionalSecretOutputs: [] } as unknown as ResourceValidationArgs["opts"],
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => configOf(policy as never, config) as T,
    notApplicable,
  };
}

/** Messages a resource policy reports for every resource of a run. */
export function violations(policy: ResourceValidationPolicy, run: Pick<MockRun, "resources">, config: Record<string, unknown> = {}): string[] {
  const messages: string[] = [];
  const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
  for (const r of run.resources) for (const validate of validations) void validate(resourceArgs(r, config, policy), (message) => messages.push(message));
  return messages;
}

export function stackViolations(policy: StackValidationPolicy, run: Pick<MockRun, "resources">): string[] {
  const messages: string[] = [];
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
  const args: StackValidationArgs = { resources, stackTags: new Map(), getConfig: <T extends object>() => configOf(policy as never, {}) as T, notApplicable };
  void policy.validateStack(args, (message) => messages.push(message));
  return messages;
}

/** A copy of a run with one resource changed: what a tampered program would register. */
export function tamper(run: MockRun, name: string, change: (inputs: Record<string, unknown>, resource: RecordedResource) => void, type?: string): MockRun {
  const copy: MockRun = JSON.parse(JSON.stringify(run));
  const target = copy.resources.find((r) => r.name === name && r.custom && (type === undefined || r.type === type));
  if (!target) throw new Error(`no resource ${name}`);
  change(target.inputs, target);
  return copy;
}

type BudgetService = { name: string; memoryLimitMb: number; replicas: number; [k: string]: unknown };

/** Changes one service in a server's budget (the deploy command's first trigger), and in its compose file too when `alsoCompose`. */
export function tamperService(run: MockRun, server: string, service: string, change: Partial<BudgetService>, alsoCompose = true): MockRun {
  return tamper(run, `${server}-deploy`, (inputs) => {
    const budget = (inputs.triggers as { services: BudgetService[] }[])[0];
    const target = budget.services.find((s) => s.name === service)!;
    Object.assign(target, change);
    if (alsoCompose && change.memoryLimitMb !== undefined) {
      const pattern = new RegExp(`(\\n  ${service}:\\n(?:    .*\\n)*?    mem_limit: )\\S+`);
      inputs.create = String(inputs.create).replace(pattern, `$1${change.memoryLimitMb}m`);
    }
  });
}

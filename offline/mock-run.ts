import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { RegisterResourceRequest, RegisterResourceResponse } from "@pulumi/pulumi/proto/resource_pb";
import * as settings from "@pulumi/pulumi/runtime/settings";

/**
 * One resource as the engine would hand it to a policy pack: its inputs in
 * wire form (unknowns as the engine's sentinel, secrets wrapped), its parent
 * and its dependencies.
 */
export interface RecordedResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  protect: boolean;
  ignoreChanges: string[];
  deleteBeforeReplace: boolean;
  provider: string;
  /** Inputs as a protobuf Struct in JSON form, exactly as sent to the engine. */
  inputs: Record<string, unknown>;
}

export interface MockRun {
  resources: RecordedResource[];
  outputs: Record<string, unknown>;
  /** Tokens of the provider functions the program called (`hcloud:index/getSshKeys:getSshKeys`). */
  calls: string[];
  /** What the program logged as warnings (`pulumi.log.warn`), in order. */
  warnings: string[];
}

/** What exists before the run: the stack's outputs from its last update, the Hetzner project's SSH keys. */
export interface ExistingState {
  /** Outputs of the stack's last update, as a stack reference to itself reads them. Absent: a new stack. */
  outputs?: Record<string, unknown>;
  sshKeys?: { id: number; name: string; fingerprint: string; publicKey: string; labels: Record<string, string> }[];
}

export interface MockRunOptions {
  /** Config as Pulumi passes it: namespaced keys, string values (`orion:stage` -> "growth"). */
  config: Record<string, string>;
  /** Keys of `config` that are secrets. */
  secretKeys?: string[];
  /** Imitate `pulumi preview`: new resources have no IDs or IPs yet. Defaults to true. */
  preview?: boolean;
  project?: string;
  stack?: string;
  existing?: ExistingState;
  /** What a registry answers for a tag (`postgres:15.13-bookworm` -> `sha256:...`); undefined fails the lookup, as an unreachable registry would. */
  registryDigest?: (image: string) => string | undefined;
}

const RUNTIME_WARNING = "warning: [runtime] ";

/** Hetzner IDs are numbers; a stable one per resource keeps two runs of the same config identical. */
function fakeId(type: string, name: string): string {
  return String(createHash("sha256").update(`${type}::${name}`).digest().readUInt32BE(0) % 10_000_000);
}

type MonitorWithRegister = {
  registerResource(
    req: RegisterResourceRequest,
    callback: (err: Error | null, resp?: RegisterResourceResponse) => void,
  ): void;
};

/** Root disk of a new server by type, as Hetzner reports it (`primaryDiskSize`); the catalog's figures. */
const NEW_DISK_GB: Record<string, number> = { cax11: 40, cax21: 80, cax31: 160, cax41: 320 };

/** Computed outputs the program reads from providers, for runs that imitate `pulumi up`. */
function computedState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const octet = (createHash("sha256").update(name).digest()[0] % 200) + 20;
  if (type === "hcloud:index/server:Server")
    return { ipv4Address: `203.0.113.${octet}`, primaryDiskSize: NEW_DISK_GB[String(inputs.serverType)] };
  if (type === "hcloud:index/loadBalancer:LoadBalancer") return { ipv4: `198.51.100.${octet}` };
  return {};
}

/**
 * Runs a Pulumi program under the SDK's mocks and records every registration.
 * Runs share the SDK's global state, so they must not overlap.
 */
export async function runUnderMocks(
  program: () => Promise<Record<string, unknown> | void> | Record<string, unknown> | void,
  options: MockRunOptions,
): Promise<MockRun> {
  const preview = options.preview ?? true;
  const calls: string[] = [];
  const mocks: pulumi.runtime.Mocks = {
    newResource: (args) => {
      // Pulumi types a resource's inputs as any.
      const inputs = args.inputs as Record<string, unknown>;
      // A stack reference is read, never created: it answers with the referenced stack's outputs.
      if (args.type === "pulumi:pulumi:StackReference")
        return {
          id: args.id ?? args.name,
          state: { name: inputs.name, outputs: options.existing?.outputs ?? {}, secretOutputNames: [] },
        };
      return {
        id: preview ? undefined : fakeId(args.type, args.name),
        state: preview ? inputs : { ...inputs, ...computedState(args.type, args.name, inputs) },
      };
    },
    call: (args) => {
      calls.push(args.token);
      if (args.token === "hcloud:index/getSshKeys:getSshKeys")
        return { id: "ssh-keys", sshKeys: options.existing?.sshKeys ?? [] };
      if (args.token === "docker:index/getRegistryImage:getRegistryImage") {
        const name = String((args.inputs as Record<string, unknown>).name);
        const digest = options.registryDigest?.(name);
        if (!digest)
          throw new Error(
            `Got error when attempting to fetch image version ${name} from registry: no registry in the offline run`,
          );
        return { id: digest, name, sha256Digest: digest };
      }
      throw new Error(`the program called ${args.token}, which the offline run does not know`);
    },
  };
  // "organization" is what a self-managed backend calls every stack's organization.
  await pulumi.runtime.setMocks(mocks, options.project ?? "orion", options.stack ?? "prod", preview, "organization");
  pulumi.runtime.setAllConfig(options.config, options.secretKeys);

  const resources: RecordedResource[] = [];
  const monitor = settings.getMonitor() as unknown as MonitorWithRegister;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) =>
    register(req, (err, resp) => {
      if (!err && resp) {
        const deps = req.getPropertydependenciesMap();
        const propertyDependencies: Record<string, string[]> = {};
        deps.forEach((value, key) => (propertyDependencies[key] = value.getUrnsList()));
        resources.push({
          urn: resp.getUrn(),
          type: req.getType(),
          name: req.getName(),
          custom: req.getCustom(),
          parent: req.getParent(),
          dependencies: req.getDependenciesList(),
          propertyDependencies,
          protect: req.getProtect() ?? false,
          ignoreChanges: req.getIgnorechangesList(),
          deleteBeforeReplace: req.getDeletebeforereplace(),
          provider: req.getProvider(),
          inputs: req.getObject()?.toJavaScript() ?? {},
        });
      }
      callback(err, resp);
    });

  let outputs: Record<string, unknown> = {};
  // A program that throws (as `pulumi up` on a refused config does) rejects this run: an error
  // left inside the stack's initialisation would be unhandled and end the whole process.
  let failure: unknown;
  // Without an engine the SDK prints `pulumi.log.warn` as "warning: [runtime] ..."; the run keeps them instead.
  const warnings: string[] = [];
  const plain: Record<string, unknown> = {};
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    const text = String(args[0]);
    if (text.startsWith(RUNTIME_WARNING)) warnings.push(text.slice(RUNTIME_WARNING.length));
    else warn(...args);
  };
  try {
    await pulumi.runtime.runInPulumiStack(async () => {
      try {
        // Pulumi warns about undefined stack outputs; an absent optional output is not worth a warning.
        outputs = Object.fromEntries(Object.entries((await program()) ?? {}).filter(([, v]) => v !== undefined));
      } catch (error) {
        failure = error;
      }
      return outputs;
    });
    // Outputs as the state keeps them (plain values), so that a later run can read them as its last update's.
    // Each key on its own: in a preview one unknown IP would leave the whole object unknown; such a key stays as it was.
    for (const [key, value] of Object.entries(outputs)) {
      const resolved = await (pulumi.output(value) as unknown as { promise(): Promise<unknown> }).promise();
      plain[key] = resolved === undefined ? value : resolved;
    }
    await settings.disconnect();
  } finally {
    console.warn = warn;
  }
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows whatever the program threw, as it threw it
  if (failure !== undefined) throw failure;
  return { resources, outputs: plain, calls, warnings };
}

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
  /** Answer registry lookups with a digest. Off for the test bed, where no registry exists and images are named by tag (DECISIONS.md #2). Defaults to true. */
  registryDigests?: boolean;
}

/** A stand-in digest, stable per image, so that two runs render identical compose files. */
export function fakeDigest(image: string): string {
  return `sha256:${createHash("sha256").update(image).digest("hex")}`;
}

/** Hetzner IDs are numbers; a stable one per resource keeps two runs of the same config identical. */
function fakeId(type: string, name: string): string {
  return String(createHash("sha256").update(`${type}::${name}`).digest().readUInt32BE(0) % 10_000_000);
}

type MonitorWithRegister = {
  registerResource(req: RegisterResourceRequest, callback: (err: Error | null, resp?: RegisterResourceResponse) => void): void;
};

/** Computed outputs the program reads from providers, for runs that imitate `pulumi up`. */
function computedState(type: string, name: string): Record<string, unknown> {
  const octet = (createHash("sha256").update(name).digest()[0] % 200) + 20;
  if (type === "hcloud:index/server:Server") return { ipv4Address: `203.0.113.${octet}` };
  if (type === "hcloud:index/loadBalancer:LoadBalancer") return { ipv4: `198.51.100.${octet}` };
  return {};
}

/**
 * Runs a Pulumi program under the SDK's mocks and records every registration.
 * Runs share the SDK's global state, so they must not overlap.
 */
export async function runUnderMocks(program: () => Record<string, unknown> | void, options: MockRunOptions): Promise<MockRun> {
  const preview = options.preview ?? true;
  const mocks: pulumi.runtime.Mocks = {
    newResource: (args) => ({
      id: preview ? undefined : fakeId(args.type, args.name),
      state: preview ? args.inputs : { ...args.inputs, ...computedState(args.type, args.name) },
    }),
    call: (args) => {
      if (args.token === "docker:index/getRegistryImage:getRegistryImage") return { name: args.inputs.name, sha256Digest: options.registryDigests === false ? "" : fakeDigest(String(args.inputs.name)) };
      throw new Error(`the program called ${args.token}, which the offline run does not know`);
    },
  };
  await pulumi.runtime.setMocks(mocks, options.project ?? "orion", options.stack ?? "prod", preview);
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
          inputs: (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
        });
      }
      callback(err, resp);
    });

  let outputs: Record<string, unknown> = {};
  // A program that throws (as `pulumi up` on a refused config does) rejects this run: an error
  // left inside the stack's initialisation would be unhandled and end the whole process.
  let failure: unknown;
  await pulumi.runtime.runInPulumiStack(async () => {
    try {
      // Pulumi warns about undefined stack outputs; an absent optional output is not worth a warning.
      outputs = Object.fromEntries(Object.entries(program() ?? {}).filter(([, v]) => v !== undefined));
    } catch (error) {
      failure = error;
    }
    return outputs;
  });
  await settings.disconnect();
  if (failure !== undefined) throw failure;
  return { resources, outputs };
}

import { SERVER_TYPES, type ServerTypeName } from "./catalog";
import { STAGE_NAMES, STAGES, type ServerRole, type StageName } from "./stages";

/**
 * The root disk a server really has. A rescale with `keepDisk` keeps the disk
 * at the size it had (terraform-provider-hcloud v1.68.0
 * internal/server/resource.go:587-605 sends `upgrade_disk: !keep_disk` to
 * Hetzner's change_type), so a CAX11's 40 GB stays 40 GB on a CAX31. Without
 * `keepDisk` the disk grows to the new type's size, and Hetzner then refuses
 * every later move to a type with a smaller disk ("You can only migrate to
 * Server types with ... equal or bigger disks", Hetzner Cloud API,
 * POST /servers/{id}/actions/change_type).
 */
export interface ServerDisk {
  /** The type the server was created as, on the guide's path through the stages. */
  createdAs: ServerTypeName;
  /** The disk it has now, in GB. */
  diskGb: number;
  /** The disk its current type comes with when created new. */
  typeDiskGb: number;
  keepDisk: boolean;
}

/**
 * The first stage, up to `stage`, with a server of this role: the stack is
 * taken to have grown along the guide's path, each server created in the
 * first stage that has it, with that stage's type (the configured one when
 * that stage is the current one). A stack that started at a later stage has
 * a larger disk than this assumes; `pulumi stack output servers` reports the
 * real size from Hetzner (`primaryDiskSize`).
 */
function createdAs(stage: StageName, role: ServerRole, current: ServerTypeName): ServerTypeName {
  for (const name of STAGE_NAMES.slice(0, STAGE_NAMES.indexOf(stage) + 1)) {
    const spec = STAGES[name].servers.find((s) => s.role === role);
    if (spec) return name === stage ? current : spec.type;
  }
  return current;
}

export function serverDisk(stage: StageName, role: ServerRole, type: ServerTypeName, keepDisk: boolean): ServerDisk {
  const origin = createdAs(stage, role, type);
  const typeDiskGb = SERVER_TYPES[type].diskGb;
  const createdGb = SERVER_TYPES[origin].diskGb;
  // A disk never shrinks; without keepDisk the rescale into this type grew it to the type's size.
  return { createdAs: origin, diskGb: keepDisk ? createdGb : Math.max(createdGb, typeDiskGb), typeDiskGb, keepDisk };
}

/** How a server's disk reads in the plan and the docs: "40 GB disk (kept from CAX11; a new CAX31 has 160 GB)". */
export function describeDisk(disk: Pick<ServerDisk, "diskGb" | "typeDiskGb" | "createdAs" | "keepDisk">): string {
  if (disk.diskGb === disk.typeDiskGb) return `${disk.diskGb} GB disk`;
  return `${disk.diskGb} GB disk (kept from ${disk.createdAs.toUpperCase()}; a new server of this type has ${disk.typeDiskGb} GB)`;
}

/**
 * Why Hetzner refuses to move a server with a `diskGb` disk to `to`, if it
 * does: a type whose disk is smaller than the server's (change_type never
 * shrinks a disk). Undefined when the move is allowed.
 */
export function rescaleRefusal(diskGb: number, to: ServerTypeName): string | undefined {
  const offered = SERVER_TYPES[to].diskGb;
  return offered < diskGb
    ? `its ${diskGb} GB disk is larger than a ${to.toUpperCase()}'s ${offered} GB, and Hetzner never shrinks a disk`
    : undefined;
}

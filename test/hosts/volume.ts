import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Host } from "./host";
import { run } from "./run";
import { record, type RunDir } from "./state";

/**
 * A Hetzner volume: an ext4 image file (Hetzner formats volumes created with
 * `format: "ext4"`), attached to one host at a time as a loop device that
 * appears in the host's /dev/disk/by-id under Hetzner's name
 * (`scsi-0HC_Volume_<id>`), which is what our mount helper looks for.
 */
export class Volume {
  /** The loop device while attached. */
  private device?: string;
  attachedTo?: Host;

  private constructor(
    private readonly runDir: RunDir,
    readonly name: string,
    readonly file: string,
    /** Hetzner's volume ID, stable per name. */
    readonly id: number,
  ) {}

  static async create(runDir: RunDir, name: string, sizeGb: number): Promise<Volume> {
    mkdirSync(join(runDir.dir, "volumes"), { recursive: true });
    const file = join(runDir.dir, "volumes", `${name}.ext4`);
    // A sparse file of the plan's size. Fewer inodes and a small journal than mkfs would pick: the kernel
    // zeroes inode tables and journal in the background, which would allocate hundreds of MB for nothing.
    await run("truncate", ["-s", `${sizeGb}G`, file]);
    await run("mkfs.ext4", ["-q", "-F", "-L", name, "-N", "131072", "-J", "size=32", file], { timeoutMs: 300_000 });
    const id = 100_000_000 + (createHash("sha256").update(name).digest().readUInt32BE(0) % 900_000_000);
    return new Volume(runDir, name, file, id);
  }

  get byIdPath(): string {
    return `/dev/disk/by-id/scsi-0HC_Volume_${this.id}`;
  }

  async attach(host: Host): Promise<void> {
    if (this.attachedTo) throw new Error(`volume ${this.name} is attached to ${this.attachedTo.name}; detach it first`);
    const device = (await run("losetup", ["--find", "--show", this.file])).stdout.trim();
    record(this.runDir, { kind: "loop", device, file: this.file });
    const minor = Number(/loop(\d+)$/.exec(device)![1]);
    await host.exec(
      `[ -b ${device} ] || mknod -m 660 ${device} b 7 ${minor}; mkdir -p /dev/disk/by-id; ln -sfn ../../${device.slice(5)} ${this.byIdPath}`,
    );
    this.device = device;
    this.attachedTo = host;
  }

  /** Detaches as Hetzner does, but refuses while the volume is mounted: the release step must have unmounted it. */
  async detach(): Promise<void> {
    const host = this.attachedTo;
    if (!host || !this.device) return;
    const mounted = await host.exec(`grep -q '^${this.device} ' /proc/self/mounts`, { allowFail: true });
    if (mounted.code === 0)
      throw new Error(`volume ${this.name} is still mounted on ${host.name}: the release step did not unmount it`);
    await host.exec(`rm -f ${this.byIdPath} ${this.device}`);
    await run("losetup", ["--detach", this.device]);
    this.device = undefined;
    this.attachedTo = undefined;
  }
}

import * as hcloud from "@pulumi/hcloud";
import { runUnderMocks, type MockRun } from "./mock-run";

/** The benchmark's floor: a Pulumi program with a single resource, run the same way as Orion's. */
export function runOneResourceProgram(): Promise<MockRun> {
  return runUnderMocks(() => void new hcloud.SshKey("one", { publicKey: "ssh-ed25519 AAAA one" }), { config: {} });
}

import * as hcloud from "@pulumi/hcloud";
import { runUnderMocks, type MockRun } from "./mock-run";

/**
 * The benchmark's floor: a Pulumi program with a single resource from the
 * provider Orion uses most, run under the same mocks as Orion's program. It
 * imports nothing of Orion, so the difference to it is what Orion's own
 * modules and resources cost.
 */
export function runOneResourceProgram(): Promise<MockRun> {
  return runUnderMocks(() => void new hcloud.SshKey("one", { publicKey: "ssh-ed25519 AAAA one" }), { config: {} });
}

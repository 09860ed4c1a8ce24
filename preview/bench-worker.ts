import * as hcloud from "@pulumi/hcloud";
import { runUnderMocks } from "./mock-run";
import { runOrion } from "./offline";

/**
 * One evaluation in a fresh process, as `pulumi preview` starts one: module
 * loading included. `one` is a program with a single resource.
 */
async function main(which: string): Promise<void> {
  if (which === "one") await runUnderMocks(() => void new hcloud.SshKey("one", { publicKey: "ssh-ed25519 AAAA one" }), { config: {} });
  else await runOrion({ stage: which });
}

main(process.argv[2] ?? "one").catch((error) => {
  process.stderr.write(`error: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});

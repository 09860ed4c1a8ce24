import { PolicyPack } from "@pulumi/policy";
import { staleSources } from "./lib/freshness";
import { POLICIES } from "./rules";

// The CLI runs the compiled pack (package.json "main"); refuse to judge with rules older than their sources.
if (__filename.endsWith(".js")) {
  const stale = staleSources();
  if (stale.length > 0) {
    console.error(
      `the policy pack was built before ${stale.slice(0, 3).join(", ")}${stale.length > 3 ? ` and ${stale.length - 3} more` : ""} changed; run \`npm run build --workspace policies\` (npm ci runs it)`,
    );
    process.exit(1);
  }
}

// Constructing the pack starts its gRPC server, so nothing else may import this file.
new PolicyPack("orion", { policies: POLICIES });

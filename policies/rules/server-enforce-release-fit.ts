import { mb } from "../lib/finding";
import { composeAt, forEachCompose, replicasOf, stackCheck, type OrionStackPolicy } from "../lib/policy";
import { hostReserveOf, serverTypeOf } from "../lib/servers";
import { fileAt } from "../lib/stack";
import { shellWords } from "../files/compose";
import { kindOf } from "../files/services";
import { RELEASE_SCRIPT } from "../../model/render/release-script";

/** `NAME='value'` settings at the top of the release script, as bash reads them. */
function scriptSettings(script: string): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const line of script.split("\n")) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) settings[m[1]] = shellWords(m[2]).join(" ");
  }
  return settings;
}

/**
 * A release runs a second API container for a moment (model/release.ts). The
 * server's memory at that moment, read from the files the deploy writes (the
 * compose file's limits, the release script's API_STRATEGY and STOPPED_FIRST),
 * must still fit its RAM: what the release stops first is subtracted, the
 * second API container added, the host reserve held as for the steady state.
 */
export const serverEnforceReleaseFit: OrionStackPolicy = {
  name: "server-enforce-release-fit",
  description:
    "A release's peak (the containers, less what it stops first, plus the second API container) and the host reserve must fit the server's RAM.",
  enforcementLevel: "mandatory",
  reads: [
    "release script (`release.sh`): `API_STRATEGY`, `STOPPED_FIRST`",
    "compose file: `services.*.mem_limit`, `deploy.replicas`, `scale`; `--scale` on `docker compose up`",
    "hcloud Server: `serverType` (RAM from the catalog), label `orion-role` (host reserve)",
  ],
  validateStack: stackCheck((view, report) => {
    for (const server of view.servers) {
      const type = serverTypeOf(server);
      if (!type) continue; // server-disallow-non-arm names types outside the catalog
      const reserve = hostReserveOf(server);
      forEachCompose({ ...view, deployments: server.deployments }, (d) => {
        const script = fileAt(d, RELEASE_SCRIPT);
        if (!script) return;
        const settings = scriptSettings(script.content);
        const strategy = settings.API_STRATEGY ?? "";
        if (strategy === "" || strategy === "rolling") return;
        const stoppedFirst = (settings.STOPPED_FIRST ?? "").split(/\s+/).filter(Boolean);
        const services = d.compose.services.filter((s) => kindOf(s) !== "caddy" && s.memoryMb !== undefined);
        const api = services.find((s) => kindOf(s) === "api");
        if (!api) return;
        const containersMb = services.reduce((sum, s) => sum + s.memoryMb! * replicasOf(d, s), 0);
        const freedMb = services
          .filter((s) => stoppedFirst.includes(s.name))
          .reduce((sum, s) => sum + s.memoryMb! * replicasOf(d, s), 0);
        const peakMb = containersMb - freedMb + api.memoryMb! + reserve.mb;
        if (peakMb <= type.ramMb) return;
        report({
          ...composeAt(d, api.memoryPath ?? ["services", api.name]),
          problem:
            `a release (${strategy}) runs a second API container (${mb(api.memoryMb!)}) beside containers of ${mb(containersMb - freedMb)}` +
            `${freedMb > 0 ? ` (after ${stoppedFirst.join(" and ")} stop, ${mb(freedMb)})` : ""} and the host reserve ${mb(reserve.mb)}: ${mb(peakMb)} on a ${type.name} with ${mb(type.ramMb)} RAM, ${mb(peakMb - type.ramMb)} over`,
          fix: "stop the workers first (borrow), lower orion:memoryLimits.api, or choose a larger server type",
        });
      });
    }
  }),
};

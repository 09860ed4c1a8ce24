import { keyOf } from "../files/compose";
import { rewrites } from "../lib/heredocs";
import { UNKNOWN } from "../lib/props";
import { stackCheck, type OrionStackPolicy } from "../lib/policy";

/**
 * The other policies judge the files a deploy writes; a deploy whose files
 * they cannot read would pass them all. So the script must be known at
 * preview, its compose file must be in it and be YAML Compose reads, and
 * every setting the checks read must be written out, not filled in from the
 * environment or another file.
 */
export const deployEnforceReadableFiles: OrionStackPolicy = {
  name: "deploy-enforce-readable-files",
  description:
    "A deploy's script must be known at preview, write each file once in full (no later `>>`, `sed -i`, `mv` onto it), and write a compose file Compose reads: no include or extends, no ${VAR} in images, limits, ports, commands or mounts.",
  enforcementLevel: "mandatory",
  reads: ["command:remote:Command `create` (the deploy script) and the compose file it writes"],
  validateStack: stackCheck((view, report) => {
    for (const d of view.deployments) {
      const base = { server: d.serverName, urn: d.command.urn };
      if (d.script === UNKNOWN) {
        report({
          ...base,
          key: "create",
          problem: "the deploy script is not known at preview, so the files it writes cannot be checked",
          fix: "render the deploy's files from values known at preview (no server IP or ID in them)",
        });
        continue;
      }
      if (!d.composePath || !d.compose) {
        report({
          ...base,
          key: "create",
          problem: `the deploy runs docker compose with ${d.composePath ?? "a compose file"} that it does not write, so nothing it starts can be checked`,
          fix: "write the compose file in the deploy script (cat > compose.yaml <<'END')",
        });
        continue;
      }
      if (d.compose.error) {
        report({
          ...base,
          file: d.composePath,
          problem: `Compose cannot read it: ${d.compose.error.split("\n")[0].replace(/:$/, "")}`,
          fix: "write valid YAML",
        });
        continue;
      }
      for (const r of rewrites(d.script)) {
        report({
          ...base,
          file: `${d.command.name} script`,
          line: r.line,
          key: r.path,
          problem: `changes ${r.path} after writing it, so the file that runs is not the one the policies read`,
          fix: `write ${r.path} once, in full, with its heredoc`,
        });
      }
      for (const u of d.compose.unsupported)
        report({
          ...base,
          file: d.composePath,
          line: d.compose.lineOf(u.path),
          key: keyOf(u.path),
          problem: `uses ${u.what}, which brings in settings from files the policy pack does not see`,
          fix: `write the services out in ${d.composePath}`,
        });
      for (const path of d.compose.interpolated) {
        report({
          ...base,
          file: d.composePath,
          line: d.compose.lineOf(path),
          key: keyOf(path),
          problem: "is filled in from the environment at deploy time, so its value cannot be checked",
          fix: "write the value itself (only environment values may use ${VAR})",
        });
      }
    }
  }),
};

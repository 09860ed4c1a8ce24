import { UNKNOWN } from "../lib/props";
import { forEachCompose, stackCheck, type OrionStackPolicy } from "../lib/policy";

/** `${NAME}` or `$NAME` without a default (`${NAME:-x}`, `${NAME-x}` carry one); `$$` is a literal dollar. */
function requiredVariables(text: string): { name: string; line: number }[] {
  const found: { name: string; line: number }[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\$\$/g, "");
    for (const m of line.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?+=][^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g)) {
      const operator = m[2]?.replace(/^:/, "")[0];
      if (operator === "-" || operator === "+" || operator === "=") continue;
      found.push({ name: m[1] ?? m[3], line: i + 1 });
    }
  });
  return found;
}

/**
 * Compose fills `${VAR}` from the env file the deploy writes from stdin, and
 * an unset variable becomes an empty string: PostgreSQL without a password, a
 * URL to nowhere. The pack reads the env file's variable names, never values.
 */
export const deployEnforceEnvVariables: OrionStackPolicy = {
  name: "deploy-enforce-env-variables",
  description:
    "Every ${VAR} the compose file or a template uses must be a variable of the env file the deploy sends on stdin (names only; values are never read).",
  enforcementLevel: "mandatory",
  reads: [
    "compose file and `*.tmpl` templates: `${VAR}` references",
    "the deploy command's `stdin` (the env file): variable names only",
  ],
  validateStack: stackCheck((view, report) => {
    forEachCompose(view, (d) => {
      if (d.envNames === UNKNOWN) return;
      const names = d.envNames ?? new Set<string>();
      const files = [...d.files.values()].filter((f) => f.path === d.composePath || f.path.endsWith(".tmpl"));
      for (const file of files) {
        for (const v of requiredVariables(file.content).filter((x) => !names.has(x.name))) {
          report({
            server: d.serverName,
            urn: d.command.urn,
            file: file.path,
            line: v.line,
            key: `\${${v.name}}`,
            problem:
              d.envNames === undefined
                ? `uses \${${v.name}}, but the deploy sends no env file on stdin`
                : `uses \${${v.name}}, which the env file does not define, so it is filled in empty`,
            fix: `add ${v.name} to the env file (a Pulumi secret rendered into it), or give the reference a default`,
          });
        }
      }
    });
  }),
};

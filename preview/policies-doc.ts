import markdownTable from "markdown-table";
import { GENERATED_NOTICE } from "../model/render/stages-doc";
import { POLICIES } from "../policies/rules";

/** docs/policies.md: every policy of the pack, its level, what it checks and its config. */
export function renderPoliciesDoc(): string {
  const rows = [["Policy", "Level", "What it checks", "Config (default)"]];
  for (const p of POLICIES) {
    const config = Object.entries(p.configSchema?.properties ?? {}).map(([k, v]) => `\`${k}\` (${JSON.stringify((v as { default?: unknown }).default)})`);
    rows.push([`\`${p.name}\``, p.enforcementLevel ?? "advisory", p.description, config.length > 0 ? config.join(", ") : "none"]);
  }
  return [
    GENERATED_NOTICE,
    "",
    "# Policy pack",
    "",
    "`pulumi preview --policy-pack policies` runs these on every resource the program registers. Mandatory violations stop the preview and `pulumi up`; advisory ones are printed.",
    "Set a policy's config in a JSON file and pass it with `--policy-pack-config`, e.g. `{\"service-disallow-oversized-limit\": {\"maxShareOfRamPct\": 60}}`.",
    "",
    markdownTable(rows),
    "",
  ].join("\n");
}

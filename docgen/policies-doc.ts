import markdownTable from "markdown-table";
import { GENERATED_NOTICE } from "../model/report/stages-doc";
import { POLICIES } from "../policies/rules";
import { caseConfig, POLICY_CASES, runCase } from "../offline/policy-cases";
import { violations } from "../offline/policy-run";

/** What the pack answers to a policy's first case, run in this process (tests run every case through the pack process). */
async function example(policyName: string): Promise<{ title: string; stage: string; message: string } | undefined> {
  const c = POLICY_CASES.find((x) => x.policy === policyName);
  if (!c) return undefined;
  const saved = process.env.PULUMI_CONFIG;
  process.env.PULUMI_CONFIG = JSON.stringify(caseConfig(c));
  try {
    const messages = violations(
      POLICIES.find((p) => p.name === policyName)!,
      await runCase(c),
    );
    return { title: c.title, stage: c.stage, message: messages[0] };
  } finally {
    if (saved === undefined) delete process.env.PULUMI_CONFIG;
    else process.env.PULUMI_CONFIG = saved;
  }
}

/** docs/policies.md: every policy of the pack, its level, what it reads, its config, and what it says when it trips. */
export async function renderPoliciesDoc(): Promise<string> {
  const rows = [["Policy", "Level", "What it checks", "Config (default)"]];
  const sections: string[] = [];
  for (const p of POLICIES) {
    const config = Object.entries(p.configSchema?.properties ?? {}).map(
      ([k, v]) => `\`${k}\` (${JSON.stringify((v as { default?: unknown }).default)})`,
    );
    rows.push([
      `\`${p.name}\``,
      p.enforcementLevel ?? "advisory",
      p.description,
      config.length > 0 ? config.join(", ") : "none",
    ]);
    const shown = await example(p.name);
    sections.push(
      [
        `### \`${p.name}\``,
        "",
        p.description,
        "",
        "Reads:",
        "",
        ...p.reads.map((r) => `- ${r}`),
        ...(shown ? ["", `Example: ${shown.title} (${shown.stage}):`, "", "```", shown.message, "```"] : []),
        "",
      ].join("\n"),
    );
  }
  return [
    GENERATED_NOTICE,
    "",
    "# Policy pack",
    "",
    "`pulumi preview --policy-pack policies` runs these on every preview. Mandatory violations stop the preview and `pulumi up`; advisory ones are printed.",
    "They judge what will run: the files each server's deploy command writes (the compose file, redis.conf, postgresql.conf, pg_hba.conf, pgbouncer.ini, every other file line by line for secrets), read the way Compose, Redis, PostgreSQL and PgBouncer read them; the names (never the values) of the env file the deploy sends on stdin; and the Hetzner resources the deploy runs on.",
    "The budget the program declares beside each deploy is only compared with those files and servers.",
    "Each message names the server, the file, the line and the key, and says what to change.",
    'Set a policy\'s config in a JSON file and pass it with `--policy-pack-config`, e.g. `{"service-disallow-oversized-limit": {"maxShareOfRamPct": 60}}`.',
    "",
    markdownTable(rows),
    "",
    "## What each policy reads, and what it says",
    "",
    "Each example is a program edited one way, the rest of its output left as the model renders it; the tests send every one of them through the pack process.",
    "",
    ...sections,
  ].join("\n");
}

import markdownTable from "markdown-table";
import type { Plan } from "../model/plan";
import { STAGES } from "../model/stages";
import { formatEur, formatMb } from "../model/units";

/** Replaces the text between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`. */
export function replaceBlock(text: string, name: string, content: string): string {
  const begin = `<!-- generated:${name} (npm run docs) -->`;
  const end = `<!-- /generated:${name} -->`;
  const start = text.indexOf(begin);
  const stop = text.indexOf(end);
  if (start < 0 || stop < start) throw new Error(`README.md has no ${begin} ... ${end} block`);
  return `${text.slice(0, start + begin.length)}\n${content}\n${text.slice(stop)}`;
}

/** The README's stage table: one row per stage, from the plans. */
export function stageTable(plans: Plan[]): string {
  const rows = [["stage", "trigger (guide)", "servers", "containers", "monthly cost"]];
  for (const p of plans) {
    rows.push([
      `\`${p.stage}\``,
      STAGES[p.stage].trigger,
      p.servers.map((s) => `${s.name} ${s.type.toUpperCase()}`).join(", "),
      formatMb(p.servers.reduce((sum, s) => sum + s.containersMb, 0)),
      formatEur(p.cost.totalEur),
    ]);
  }
  return markdownTable(rows);
}

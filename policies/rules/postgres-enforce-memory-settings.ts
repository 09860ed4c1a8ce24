import { mb } from "../lib/finding";
import { composeAt, forEachCompose, stackCheck, type OrionStackPolicy } from "../lib/policy";
import { postgresConfig, postgresMemoryMb, settingOf } from "../files/postgres";
import { kindOf } from "../files/services";

/** Sorts and hashes one query may run at once, each up to work_mem (the plan sizes work_mem for two). */
export const SORTS_PER_CONNECTION = 2;

/**
 * PostgreSQL's memory at full load must fit its container: shared_buffers,
 * one maintenance_work_mem, and every connection running two sorts of
 * work_mem. A limit below that is OOM-killed under load, not slowed down.
 */
export const postgresEnforceMemorySettings: OrionStackPolicy = {
  name: "postgres-enforce-memory-settings",
  description:
    "PostgreSQL's shared_buffers + maintenance_work_mem + 2 x max_connections x work_mem must fit its container's memory limit.",
  enforcementLevel: "mandatory",
  reads: [
    "compose file: PostgreSQL services' `mem_limit` and `command` (`config_file`, `-c` settings)",
    "postgresql.conf (through the bind mount): `shared_buffers`, `work_mem`, `maintenance_work_mem`, `max_connections`",
  ],
  validateStack: stackCheck((view, report) => {
    forEachCompose(view, (d) => {
      for (const s of d.compose.services.filter((x) => kindOf(x) === "postgres" && x.memoryMb !== undefined)) {
        const config = postgresConfig(d, s, d.composePath);
        if (config.missing) {
          report({
            ...composeAt(d, ["services", s.name, "command"]),
            problem: `${s.name} starts with config_file ${config.missing}, which this deploy does not write, so its settings cannot be checked`,
            fix: "bind-mount the postgresql.conf the deploy writes",
          });
          continue;
        }
        const value = (name: string) => settingOf(config, name);
        const memory = (name: string) => postgresMemoryMb(name, value(name).value) ?? 0;
        const connections = Number(value("max_connections").value);
        const needMb =
          memory("shared_buffers") +
          memory("maintenance_work_mem") +
          SORTS_PER_CONNECTION * connections * memory("work_mem");
        if (needMb <= s.memoryMb!) continue;
        const where = (name: string) => {
          const setting = value(name).setting;
          return setting ? ` (${setting.file}${setting.line ? ` line ${setting.line}` : ""})` : " (default)";
        };
        report({
          ...composeAt(d, s.memoryPath!),
          problem: `${s.name} needs shared_buffers ${value("shared_buffers").value}${where("shared_buffers")} + maintenance_work_mem ${value("maintenance_work_mem").value}${where("maintenance_work_mem")} + ${SORTS_PER_CONNECTION} x max_connections ${connections}${where("max_connections")} x work_mem ${value("work_mem").value}${where("work_mem")} = ${mb(needMb)}, above its limit ${mb(s.memoryMb!)}`,
          fix: `lower work_mem or max_connections in ${config.file ?? "postgresql.conf"}, or raise ${s.name}'s limit`,
        });
      }
    });
  }),
};

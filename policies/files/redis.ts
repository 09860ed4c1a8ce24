import { readRedisConf } from "../../model/render/conf-readers";
import type { ComposeService } from "./compose";
import { commandWords, mountedFile } from "./services";
import { commandSetting, type Setting } from "./settings";
import type { Deployment } from "../lib/stack";

export interface RedisConfig {
  /** The config file Redis starts with, relative to the compose project, when the deploy writes it. */
  file?: string;
  /** A config path Redis reads that no deployed file provides. */
  missing?: string;
  settings: Map<string, Setting>;
}

/** Redis's units (redis.conf header): k = 1000, kb = 1024, m = 10^6, mb = 1024^2, g = 10^9, gb = 1024^3; a bare number is bytes. */
export function redisBytes(text: string): number | undefined {
  const m = /^(\d+)(k|kb|m|mb|g|gb)?$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? "").toLowerCase();
  const factor = { "": 1, k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 }[unit]!;
  return Number(m[1]) * factor;
}

/**
 * The settings Redis runs with: the config file named on its command line
 * (through the service's bind mounts), then `--name value` arguments, which
 * override the file, as redis-server reads them.
 */
export function redisConfig(deployment: Deployment, service: ComposeService, composePath: string): RedisConfig {
  const words = commandWords(service);
  const start = words.findIndex((w) => /(^|\/)redis-server$/.test(w));
  const args = start >= 0 ? words.slice(start + 1) : words;
  const settings = new Map<string, Setting>();
  const result: RedisConfig = { settings };
  const configArg = args.find((a, i) => !a.startsWith("-") && (i === 0 || !args[i - 1].startsWith("--")));
  if (configArg && configArg.endsWith(".conf")) {
    const mounted = mountedFile(deployment, service, configArg);
    if (mounted?.file) {
      result.file = mounted.path;
      for (const d of readRedisConf(mounted.file.content))
        settings.set(d.name, { value: d.args.join(" "), file: mounted.path, line: d.line, key: d.name });
    } else result.missing = configArg;
  }
  const commandLine = service.command.length > 0 ? commandSetting(deployment, service, composePath) : undefined;
  args.forEach((a, i) => {
    if (!a.startsWith("--") || !commandLine) return;
    const name = a.slice(2).toLowerCase();
    const values: string[] = [];
    for (let j = i + 1; j < args.length && !args[j].startsWith("--"); j++) values.push(args[j]);
    settings.set(name, { value: values.join(" "), ...commandLine });
  });
  return result;
}

import { spawn, spawnSync, type SpawnOptions } from "node:child_process";

/** What a finished command left behind. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
}

export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  /** Resolve on a non-zero exit instead of rejecting (the caller reads `code`). */
  allowFail?: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs a command to completion. A missing program is an error that names it: .ci/run installs the bed's tools. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: options.env ?? process.env,
      cwd: options.cwd,
    } as SpawnOptions);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on("data", (d: Buffer) => out.push(d));
    child.stderr!.on("data", (d: Buffer) => err.push(d));
    let timedOut = false;
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill("SIGKILL");
        }, options.timeoutMs)
      : undefined;
    child.on("error", (error: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      reject(
        error.code === "ENOENT"
          ? new Error(`${command} is not installed; .ci/run installs the test bed's tools`)
          : error,
      );
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      const result = {
        code: code ?? (signal ? 128 : -1),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        ms: Date.now() - started,
      };
      if (timedOut)
        return reject(
          new Error(
            `${command} ${args.join(" ").slice(0, 300)} timed out after ${options.timeoutMs} ms\n${tail(result.stdout + result.stderr)}`,
          ),
        );
      if (result.code !== 0 && !options.allowFail)
        return reject(
          new Error(
            `${command} ${args.join(" ").slice(0, 300)} exited ${result.code}\n${tail(result.stdout + result.stderr)}`,
          ),
        );
      resolve(result);
    });
    child.stdin!.on("error", () => undefined);
    child.stdin!.end(options.input ?? "");
  });
}

/** The same, synchronously: for cleanup from exit handlers, where nothing async runs. */
export function runSync(
  command: string,
  args: string[],
  options: { input?: string; timeoutMs?: number } = {},
): RunResult {
  const started = Date.now();
  const r = spawnSync(command, args, {
    input: options.input ?? "",
    encoding: "utf8",
    timeout: options.timeoutMs ?? 60_000,
  });
  return {
    code: r.status ?? -1,
    stdout: r.stdout ?? "",
    stderr: `${r.stderr ?? ""}${r.error ? String(r.error) : ""}`,
    ms: Date.now() - started,
  };
}

/** `sh -c` with the script as one argument. */
export function sh(script: string, options: RunOptions = {}): Promise<RunResult> {
  return run("sh", ["-c", script], options);
}

export function tail(text: string, lines = 40): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Single-quotes a word for sh. */
export function quote(word: string): string {
  return `'${word.replace(/'/g, `'"'"'`)}'`;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` returns a value (not undefined/false), or throws with the last error after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  intervalMs = 500,
): Promise<T> {
  const started = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() - started > timeoutMs)
      throw new Error(
        `${what}: not reached after ${timeoutMs} ms${last ? `: ${last instanceof Error ? last.message : String(last)}` : ""}`,
      );
    await sleep(intervalMs);
  }
}

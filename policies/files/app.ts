import { flagValue, commandWords } from "./services";
import type { ComposeService } from "./compose";

/** The guide's SQLAlchemy pool when the app is given none: "Default pool is 10 + 20 overflow = 30 max". */
export const APP_DEFAULT_POOL = { size: 10, overflow: 20 };

/** Uvicorn processes of an API container: `--workers`, else WEB_CONCURRENCY, else one. */
export function uvicornWorkers(service: ComposeService): number {
  const words = commandWords(service);
  return Number(flagValue(words, "--workers", "-w") ?? service.environment.WEB_CONCURRENCY ?? 1);
}

/** SQLAlchemy pool per process, from the environment the app reads. */
export function appPool(service: ComposeService): { size: number; overflow: number } {
  const size = service.environment.DB_POOL_SIZE;
  const overflow = service.environment.DB_MAX_OVERFLOW;
  return {
    size: size === undefined ? APP_DEFAULT_POOL.size : Number(size),
    overflow: overflow === undefined ? APP_DEFAULT_POOL.overflow : Number(overflow),
  };
}

/** Celery prefork children: `--concurrency`/`-c`, else Celery's default, the machine's CPUs. */
export function celeryConcurrency(service: ComposeService, vcpu: number): number {
  return Number(flagValue(commandWords(service), "--concurrency", "-c") ?? vcpu);
}

/** `--max-memory-per-child` in KiB, as Celery reads it. */
export function celeryChildLimitKb(service: ComposeService): number | undefined {
  const value = flagValue(commandWords(service), "--max-memory-per-child");
  return value === undefined ? undefined : Number(value);
}

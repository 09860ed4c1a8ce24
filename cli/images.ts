import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { Command } from "commander";
import { IMAGE_LOCK_FILE, lockProblems, platformImages, type ImageLock } from "../model/images";
import { RegistryError, resolveDigest } from "./registry";

interface ImagesOptions {
  update?: boolean;
  sync?: boolean;
  check?: boolean;
  lock: string;
  registry: string[];
}

const program = new Command("npm run images --")
  .description(
    `Show the image digests ${IMAGE_LOCK_FILE} pins; with --update, ask the registries for the current digest of every tag and write what changed.`,
  )
  .option("--update", "resolve every image's tag at its registry and rewrite the lock file (the only way it changes)")
  .option(
    "--sync",
    "match the lock to the services without asking a registry: a new tag gets no digest (pulumi up refuses it until --update), a tag no service uses goes",
  )
  .option("--check", "exit 1 when an image has no digest yet or the lock does not match the services")
  .option("--lock <file>", "the lock file", IMAGE_LOCK_FILE)
  .option(
    "--registry <host=url>",
    "reach a registry at another address, e.g. docker.io=https://mirror.example.com (repeatable)",
    (v: string, all: string[]) => [...all, v],
    [],
  )
  .showHelpAfterError();

function readLock(file: string): ImageLock {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as ImageLock;
  } catch (error) {
    throw new Error(`--lock ${file} cannot be read as JSON (${(error as Error).message})`);
  }
}

function overrides(list: string[]): Record<string, string> {
  return Object.fromEntries(
    list.map((entry) => {
      const [host, url] = entry.split(/=(.*)/s);
      if (!host || !url || !/^https?:\/\//.test(url))
        throw new Error(`--registry ${entry} is not host=url; use e.g. docker.io=https://mirror.example.com`);
      return [host, url];
    }),
  );
}

const short = (digest: string | null) => (digest === null ? "(no digest)" : digest);

async function update(file: string, registries: Record<string, string>): Promise<number> {
  const old = readLock(file);
  const images = platformImages();
  const results = await Promise.allSettled(images.map((image) => resolveDigest(image, registries)));
  const failures = results.flatMap((r) =>
    r.status === "rejected" ? [r.reason instanceof RegistryError ? r.reason.message : String(r.reason)] : [],
  );
  if (failures.length > 0) {
    // All or nothing: a half-updated lock would mix old and new images without saying so.
    process.stderr.write(
      `error: ${file} left unchanged; ${failures.length} image${failures.length === 1 ? "" : "s"} could not be resolved:\n${failures.map((f) => `  - ${f}`).join("\n")}\n`,
    );
    return 1;
  }
  const next: ImageLock = {
    lockfileVersion: 1,
    note: old.note,
    images: Object.fromEntries(
      images.map((image, i) => [image, { digest: (results[i] as PromiseFulfilledResult<string>).value }]),
    ),
  };
  const lines: string[] = [];
  for (const image of images) {
    const before = old.images[image]?.digest ?? null;
    const after = next.images[image].digest;
    if (!(image in old.images)) lines.push(`  + ${image}: ${after}`);
    else if (before !== after) lines.push(`  ~ ${image}: ${short(before)} -> ${after}`);
  }
  for (const image of Object.keys(old.images).filter((i) => !images.includes(i)))
    lines.push(`  - ${image}: no service uses it any more`);
  if (lines.length === 0) {
    process.stdout.write(`${file}: every digest is current (${images.length} images); nothing changed\n`);
    return 0;
  }
  writeFileSync(file, `${JSON.stringify(next, null, 2)}\n`);
  process.stdout.write(
    `${file}: ${lines.length} change${lines.length === 1 ? "" : "s"}\n${lines.join("\n")}\nReview and commit it; the next pulumi up redeploys the servers that run these images.\n`,
  );
  return 0;
}

/** After a tag changed in the services, where no registry can be reached: never invents a digest. */
function sync(file: string): number {
  const old = readLock(file);
  const images = platformImages();
  const next: ImageLock = {
    lockfileVersion: 1,
    note: old.note,
    images: Object.fromEntries(images.map((image) => [image, { digest: old.images[image]?.digest ?? null }])),
  };
  const lines = [
    ...images.filter((i) => !(i in old.images)).map((i) => `  + ${i}: (no digest) until npm run images -- --update`),
    ...Object.keys(old.images)
      .filter((i) => !images.includes(i))
      .map((i) => `  - ${i}: no service uses it any more`),
  ];
  if (lines.length === 0) {
    process.stdout.write(`${file}: lists every service image already; nothing changed\n`);
    return 0;
  }
  writeFileSync(file, `${JSON.stringify(next, null, 2)}\n`);
  process.stdout.write(`${file}: ${lines.length} change${lines.length === 1 ? "" : "s"}\n${lines.join("\n")}\n`);
  return 0;
}

function show(file: string, check: boolean): number {
  const lock = readLock(file);
  const problems = lockProblems(lock);
  for (const [image, entry] of Object.entries(lock.images)) process.stdout.write(`${image}  ${short(entry.digest)}\n`);
  const open = Object.values(lock.images).filter((e) => e.digest === null).length;
  for (const p of problems) process.stderr.write(`error: ${p}\n`);
  if (open > 0)
    process.stdout.write(
      `\n${open} image${open === 1 ? "" : "s"} have no digest: pulumi up refuses to deploy them until npm run images -- --update resolves them\n`,
    );
  return problems.length > 0 || (check && open > 0) ? 1 : 0;
}

async function main(): Promise<number> {
  program.parse();
  const o = program.opts<ImagesOptions>();
  const file = resolve(process.cwd(), o.lock);
  if (o.update) return update(file, overrides(o.registry));
  return o.sync ? sync(file) : show(file, o.check ?? false);
}

main().then(
  (code) => (process.exitCode = code),
  (error) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);

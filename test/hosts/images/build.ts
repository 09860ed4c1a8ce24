import { createHash } from "node:crypto";
import {
  createReadStream,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { parseConfig } from "../../../model/config";
import { plan } from "../../../model/plan";
import { lockedDigests } from "../../../model/images";
import { renderCompose } from "../../../model/render/compose";
import { OFFLINE_LOCK } from "../../../offline/orion";
import { withoutDigests } from "../program";
import { STAGE_NAMES } from "../../../model/stages";
import { quote, run, sh } from "../run";
import { APP_RECIPE, RECIPES, repositoryOf, type ImageConfig, type ImageRecipe } from "./recipes";

/**
 * Builds the test bed's images once and keeps them in a cache directory
 * outside the repository: a Debian base layer from
 * `debootstrap --variant=minbase`, one layer per image with its Debian
 * packages, and an image config per compose image reference. Engines load
 * only what their compose file names, in `docker load`'s archive format, so
 * the base layer is stored once per engine.
 */

export const CACHE_ROOT = process.env.ORION_TESTBED_CACHE ?? "/var/cache/orion-testbed";
const SUITE = "bookworm";
const FILES_DIR = join(__dirname, "files");
/** Concurrent image builds: copies, unpacking and tar wait on the disk as much as on the CPU. */
const PARALLEL_BUILDS = 3;

export interface BuiltImage {
  /** `configs/<sha>.json`, relative to the image set's directory. */
  config: string;
  /** `layers/<sha>.tar`, base first. */
  layers: string[];
  repository: string;
  standIn?: string;
  differs?: string;
}

export interface ImageSet {
  dir: string;
  arch: string;
  images: Record<string, BuiltImage>;
  /** Seconds each step took when the set was built. */
  timings: Record<string, number>;
}

/**
 * Every image reference the rendered compose files of every stage name, the
 * Orion app image included, and the base of each image compose builds (the
 * pull script fetches it for the build; on the bed it must be on the engine).
 */
export function modelImages(): string[] {
  const refs = new Set<string>();
  for (const stage of STAGE_NAMES) {
    const planned = plan(parseConfig({ stage }));
    for (const server of planned.servers) {
      // Named as the program names them (its images carry the offline lock's digests, which decide the built image's tag), digests dropped as the bed sends them.
      const compose = parse(withoutDigests(renderCompose(planned, server, lockedDigests(OFFLINE_LOCK)))) as {
        services: Record<string, { image: string; build?: unknown }>;
      };
      for (const [name, service] of Object.entries(compose.services)) {
        refs.add(service.image);
        const base = service.build ? server.services.find((s) => s.name === name)?.image : undefined;
        if (base) refs.add(base);
      }
    }
  }
  return [...refs].sort();
}

/** The default `orion:appImage`: the bed's stand-in app is built under this name. */
export function appImage(): string {
  return parseConfig({}).appImage;
}

/**
 * The postgres image is pulled on a server only as the base compose builds
 * the database image from; nothing runs it. The bed gives it the database
 * image's layer: one build, and one copy on each engine, instead of two.
 */
const SAME_LAYER_AS: Record<string, string> = { postgres: "orion-postgres" };

function recipeFor(image: string): ImageRecipe {
  if (image === appImage()) return APP_RECIPE;
  const repository = repositoryOf(image);
  if (SAME_LAYER_AS[repository]) return RECIPES[SAME_LAYER_AS[repository]];
  const recipe = RECIPES[repository];
  if (!recipe)
    throw new Error(
      `the compose files use ${image}, and the test bed has no recipe for ${repository}; add one to test/hosts/images/recipes.ts`,
    );
  return recipe;
}

function dockerArch(): string {
  const arch: Record<string, string> = { x64: "amd64", arm64: "arm64" };
  if (!arch[process.arch]) throw new Error(`the test bed builds images for amd64 or arm64, not ${process.arch}`);
  return arch[process.arch];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

const hashOf = (...parts: (string | Buffer)[]) =>
  parts.reduce((h, p) => h.update(p), createHash("sha256")).digest("hex");

/** Changes to the image list, the recipes or their files make a new set; each layer is cached on its own. */
function setKey(images: string[]): string {
  return hashOf(
    JSON.stringify({ images, recipes: images.map(recipeFor) }),
    ...filesUnder(FILES_DIR).map((f) => readFileSync(f)),
    readFileSync(__filename),
  ).slice(0, 16);
}

/** Bump when buildImage or diffLayer change what a layer contains. */
const LAYER_FORMAT = "1";

/** An image layer depends on the base layer, its recipe, the files it copies and how this builder installs. */
function layerKey(baseSha: string, recipe: ImageRecipe): string {
  const files = Object.values(recipe.files ?? {}).map((f) => readFileSync(join(FILES_DIR, f)));
  return hashOf(
    LAYER_FORMAT,
    baseSha,
    JSON.stringify({ ...recipe, config: undefined, standIn: undefined, differs: undefined }),
    APT,
    ...files,
  ).slice(0, 16);
}

/** The first Debian mirror of the machine's apt sources: debootstrap fetches from where apt does. */
function debianMirror(): string {
  const texts = [
    "/etc/apt/sources.list",
    ...(existsSync("/etc/apt/sources.list.d")
      ? readdirSync("/etc/apt/sources.list.d")
          .filter((f) => /\.(list|sources)$/.test(f))
          .map((f) => join("/etc/apt/sources.list.d", f))
      : []),
  ]
    .filter(existsSync)
    .map((f) => readFileSync(f, "utf8"));
  for (const text of texts) {
    const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/m.exec(text);
    if (oneLine) return oneLine[1];
    for (const stanza of text.split(/\n\s*\n/)) {
      const uri = /^URIs:\s*(\S+)/m.exec(stanza);
      if (uri && /^Suites:.*\bbookworm\b/m.test(stanza) && /^Types:.*\bdeb\b/m.test(stanza) && !/security/.test(uri[1]))
        return uri[1];
    }
  }
  throw new Error("the machine's apt sources name no Debian bookworm mirror; debootstrap needs one");
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  await new Promise<void>((resolve, reject) =>
    createReadStream(path)
      .on("data", (d) => hash.update(d))
      .on("end", resolve)
      .on("error", reject),
  );
  return hash.digest("hex");
}

/**
 * Runs a script chrooted in `root`, in a mount namespace of its own so that
 * every bind mount disappears with it: /proc, /dev, the machine's resolv.conf
 * and apt configuration (sources, keys, proxy settings), and the shared apt
 * lists and package archive. Nothing of the machine stays in the image.
 */
async function inChroot(root: string, work: string, script: string, log: string[]): Promise<void> {
  const mounts = [
    `mount -t proc proc ${quote(`${root}/proc`)}`,
    `mount --bind /dev ${quote(`${root}/dev`)}`,
    `touch ${quote(`${root}/etc/resolv.conf`)} && mount --bind /etc/resolv.conf ${quote(`${root}/etc/resolv.conf`)}`,
    `mount --bind ${quote(`${work}/host-apt`)} ${quote(`${root}/etc/apt`)}`,
    `mount --bind ${quote(`${work}/lists`)} ${quote(`${root}/var/lib/apt/lists`)}`,
    `mount --bind ${quote(`${work}/archives`)} ${quote(`${root}/var/cache/apt/archives`)}`,
  ].join(" && ");
  const inner = `set -eu\nexport DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n${script}`;
  const result = await run(
    "unshare",
    [
      "--mount",
      "--propagation",
      "private",
      "sh",
      "-c",
      `set -e; ${mounts}; exec chroot ${quote(root)} /bin/sh -c ${quote(inner)}`,
    ],
    { timeoutMs: 900_000, allowFail: true },
  );
  log.push(result.stdout, result.stderr);
  if (result.code !== 0)
    throw new Error(
      `a build step in ${root} failed (exit ${result.code}):\n${script}\n${(result.stdout + result.stderr).split("\n").slice(-30).join("\n")}`,
    );
}

// apt as the bed uses it: no recommends, no unpack fsyncs (a failed build is thrown away), parallel
// installs from one shared archive, and one package cache, beside the shared lists, that every install reads.
const APT =
  "apt-get -o Dir::Cache::pkgcache=/var/lib/apt/lists/pkgcache.bin -o Dir::Cache::srcpkgcache= -o APT::Install-Recommends=false -o APT::Install-Suggests=false -o Dpkg::Options::=--force-confold -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-unsafe-io";

interface Entry {
  type: string;
  sig: string;
}

/** Type, owner, mode, size, mtime (ns) and link target: enough to tell a file dpkg replaced from the base's copy. */
function tree(root: string): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel))) {
      const path = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, path), { bigint: true });
      const type = st.isDirectory() ? "d" : st.isSymbolicLink() ? "l" : st.isFile() ? "f" : "o";
      const link = type === "l" ? readlinkSync(join(root, path)) : "";
      entries.set(path, {
        type,
        sig: `${type}:${st.mode}:${st.uid}:${st.gid}:${type === "d" ? "" : st.size}:${type === "d" ? "" : st.mtimeNs}:${st.rdev}:${link}`,
      });
      if (type === "d") walk(path);
    }
  };
  walk("");
  return entries;
}

/**
 * The image's layer over the base: every new or changed path, and a
 * whiteout (`.wh.<name>`) for every path the install removed, as Docker's
 * layer format has it.
 */
async function diffLayer(base: Map<string, Entry>, root: string, out: string): Promise<void> {
  const image = tree(root);
  const changed = [...image].filter(([path, e]) => base.get(path)?.sig !== e.sig).map(([path]) => path);
  const removed = [...base.keys()].filter((path) => !image.has(path));
  const whiteouts: string[] = [];
  for (const path of removed) {
    const parent = path.split("/").slice(0, -1).join("/");
    // A removed directory needs one whiteout, not one per file under it.
    if (parent && !image.has(parent)) continue;
    const wh = `${parent ? `${parent}/` : ""}.wh.${path.split("/").pop()}`;
    writeFileSync(join(root, wh), "");
    whiteouts.push(wh);
  }
  const list = [...changed, ...whiteouts].sort();
  await run(
    "tar",
    [
      "--create",
      "--file",
      out,
      "--directory",
      root,
      "--numeric-owner",
      "--no-recursion",
      "--null",
      "--files-from",
      "-",
    ],
    { input: list.join("\0"), timeoutMs: 600_000 },
  );
}

async function buildImage(
  image: string,
  recipe: ImageRecipe,
  work: string,
  baseTree: Map<string, Entry>,
  log: string[],
): Promise<{ layer: string; seconds: number; steps: Record<string, number> }> {
  const started = Date.now();
  const steps: Record<string, number> = {};
  let mark = started;
  const lap = (name: string) => {
    steps[name] = (Date.now() - mark) / 1000;
    mark = Date.now();
  };
  const root = join(work, `img-${createHash("sha256").update(image).digest("hex").slice(0, 8)}`);
  await run("cp", ["-a", join(work, "base"), root]);
  lap("copy");
  const install = [
    recipe.before ?? "",
    `${APT} install -y --no-download -o Debug::NoLocking=true ${recipe.packages.join(" ")}`,
  ].join("\n");
  await inChroot(root, work, install, log);
  lap("install");
  for (const [target, source] of Object.entries(recipe.files ?? {})) {
    mkdirSync(join(root, target, ".."), { recursive: true });
    await run("cp", ["--preserve=mode", join(FILES_DIR, source), join(root, target)]);
  }
  if (recipe.after) await inChroot(root, work, recipe.after, log);
  lap("after");
  const layer = `${root}.tar`;
  await diffLayer(baseTree, root, layer);
  lap("diff");
  rmSync(root, { recursive: true, force: true });
  lap("remove");
  return { layer, seconds: (Date.now() - started) / 1000, steps };
}

/** Waits for, or takes, the lock of one cache key: a second run on the machine reuses the first one's build. */
async function withLock<T>(path: string, body: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(path);
      writeFileSync(join(path, "pid"), String(process.pid));
      break;
    } catch {
      const owner = Number(existsSync(join(path, "pid")) ? readFileSync(join(path, "pid"), "utf8") : "0");
      if (owner && !existsSync(`/proc/${owner}`)) rmSync(path, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 2000));
    }
  }
  try {
    return await body();
  } finally {
    rmSync(path, { recursive: true, force: true });
  }
}

/** The image set for the current model; what the cache lacks is built. */
export async function ensureImages(progress: (line: string) => void = () => undefined): Promise<ImageSet> {
  const images = modelImages();
  const index = join(CACHE_ROOT, `images-${setKey(images)}.json`);
  const read = (): ImageSet => ({ dir: CACHE_ROOT, ...JSON.parse(readFileSync(index, "utf8")) });
  if (existsSync(index)) return read();
  mkdirSync(CACHE_ROOT, { recursive: true });
  return withLock(join(CACHE_ROOT, ".lock"), async () => {
    if (existsSync(index)) return read();
    const set = await build(images, progress);
    writeFileSync(`${index}.tmp`, JSON.stringify(set, null, 2));
    renameSync(`${index}.tmp`, index);
    return { dir: CACHE_ROOT, ...set };
  });
}

/** The steps that turn debootstrap's tree into the base layer; a change here makes a new base. */
const BASE_PREPARATION = [
  // As Debian's own container images: no docs, man pages or translations; no service starts during builds.
  "rm -rf var/cache/apt/archives/*.deb var/lib/apt/lists/* usr/share/doc/* usr/share/man/* usr/share/locale/* usr/share/info/* dev/* etc/resolv.conf etc/hostname",
  "mkdir -p etc/dpkg/dpkg.cfg.d",
  "printf 'path-exclude=/usr/share/doc/*\\npath-exclude=/usr/share/man/*\\npath-exclude=/usr/share/locale/*\\npath-exclude=/usr/share/info/*\\n' > etc/dpkg/dpkg.cfg.d/01-testbed-excludes",
  "printf '#!/bin/sh\\nexit 101\\n' > usr/sbin/policy-rc.d && chmod 755 usr/sbin/policy-rc.d",
].join(" && ");

async function build(images: string[], progress: (line: string) => void): Promise<Omit<ImageSet, "dir">> {
  const arch = dockerArch();
  const work = join(CACHE_ROOT, `work-${process.pid}`);
  const timings: Record<string, number> = {};
  const log: string[] = [];
  const started = Date.now();
  const step = async <T>(name: string, body: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    progress(`test bed images: ${name}`);
    const value = await body();
    timings[name] = (Date.now() - t) / 1000;
    return value;
  };
  // Under the cache's lock no other build runs: a work directory left here is a killed build's (its chroot mounts died with its mount namespace).
  for (const left of readdirSync(CACHE_ROOT).filter((name) => name.startsWith("work-")))
    rmSync(join(CACHE_ROOT, left), { recursive: true, force: true });
  for (const d of ["lists/partial", "archives/partial"]) mkdirSync(join(work, d), { recursive: true });
  for (const d of ["layers", "configs", "records"]) mkdirSync(join(CACHE_ROOT, d), { recursive: true });
  const record = (name: string) => join(CACHE_ROOT, "records", `${name}.json`);
  try {
    // The debootstrap tree is kept on its own: recipe changes do not fetch Debian's base again.
    const bootstrapTar = join(CACHE_ROOT, `debootstrap-${SUITE}-${arch}.tar`);
    if (!existsSync(bootstrapTar)) {
      await step("debootstrap", async () => {
        const target = join(work, "bootstrap");
        await run("debootstrap", ["--variant=minbase", `--arch=${arch}`, SUITE, target, debianMirror()], {
          timeoutMs: 1_200_000,
        });
        await run("tar", ["--create", "--file", `${bootstrapTar}.tmp`, "--directory", target, "--numeric-owner", "."], {
          timeoutMs: 600_000,
        });
        renameSync(`${bootstrapTar}.tmp`, bootstrapTar);
        rmSync(target, { recursive: true, force: true });
      });
    }
    const baseRecord = record(
      `base-${hashOf(String(statSync(bootstrapTar).mtimeMs), String(statSync(bootstrapTar).size), BASE_PREPARATION).slice(0, 16)}`,
    );
    const base = join(work, "base");
    const extractBase = async () => {
      mkdirSync(base);
      await run("tar", ["--extract", "--file", bootstrapTar, "--directory", base, "--numeric-owner"], {
        timeoutMs: 600_000,
      });
      await sh(`cd ${quote(base)} && ${BASE_PREPARATION}`);
    };
    if (!existsSync(baseRecord)) {
      await step("base layer", async () => {
        await extractBase();
        const layer = join(work, "base.tar");
        await run("tar", ["--create", "--file", layer, "--directory", base, "--numeric-owner", "."], {
          timeoutMs: 600_000,
        });
        const sha = await sha256File(layer);
        renameSync(layer, join(CACHE_ROOT, "layers", `${sha}.tar`));
        writeFileSync(baseRecord, JSON.stringify({ sha }));
      });
    }
    const baseSha = (JSON.parse(readFileSync(baseRecord, "utf8")) as { sha: string }).sha;

    const recipes = images.map((image) => ({
      image,
      recipe: recipeFor(image),
      record: record(`layer-${layerKey(baseSha, recipeFor(image))}`),
    }));
    // The biggest installs first, so that the small ones fill the gaps at the end.
    const cost = (r: ImageRecipe) =>
      r === APP_RECIPE
        ? 3
        : r === RECIPES.postgres || r === RECIPES["orion-postgres"]
          ? 2
          : r.packages.length > 1
            ? 1
            : 0;
    // Images that share a layer build it once.
    const missing = recipes
      .filter((r, i) => !existsSync(r.record) && recipes.findIndex((x) => x.record === r.record) === i)
      .sort((a, b) => cost(b.recipe) - cost(a.recipe));
    if (missing.length > 0) {
      if (!existsSync(base)) await step("base tree", extractBase);
      await run("cp", ["-a", "/etc/apt", join(work, "host-apt")]);
      const packages = [...new Set(missing.flatMap((r) => r.recipe.packages))].sort();
      await step("apt-get update and download", () =>
        inChroot(base, work, `${APT} update -qq\n${APT} install -y -qq --download-only ${packages.join(" ")}`, log),
      );
      const baseTree = tree(base);
      await step("image layers", async () => {
        const queue = [...missing];
        const worker = async () => {
          for (let next = queue.shift(); next; next = queue.shift()) {
            const built = await buildImage(next.image, next.recipe, work, baseTree, log);
            const sha = await sha256File(built.layer);
            renameSync(built.layer, join(CACHE_ROOT, "layers", `${sha}.tar`));
            writeFileSync(next.record, JSON.stringify({ sha, seconds: built.seconds }));
            timings[`layer ${next.image}`] = built.seconds;
            for (const [name, seconds] of Object.entries(built.steps))
              timings[`layer ${next.image}: ${name}`] = seconds;
            progress(`test bed images: ${next.image} (${built.seconds.toFixed(0)} s)`);
          }
        };
        await Promise.all(Array.from({ length: PARALLEL_BUILDS }, worker));
      });
    }

    const built: Record<string, BuiltImage> = {};
    for (const { image, recipe, record: file } of recipes) {
      const { sha } = JSON.parse(readFileSync(file, "utf8")) as { sha: string };
      const config = {
        architecture: arch,
        os: "linux",
        created: new Date(0).toISOString(),
        config: recipe.config satisfies ImageConfig,
        rootfs: { type: "layers", diff_ids: [`sha256:${baseSha}`, `sha256:${sha}`] },
        history: [
          { created_by: `debootstrap --variant=minbase ${SUITE}` },
          { created_by: `apt-get install ${recipe.packages.join(" ")} (test bed recipe for ${image})` },
        ],
      };
      const text = JSON.stringify(config);
      const configSha = hashOf(text);
      writeFileSync(join(CACHE_ROOT, "configs", `${configSha}.json`), text);
      built[image] = {
        config: `configs/${configSha}.json`,
        layers: [`layers/${baseSha}.tar`, `layers/${sha}.tar`],
        repository: repositoryOf(image),
        standIn: recipe.standIn,
        differs: recipe.differs,
      };
    }
    timings.total = (Date.now() - started) / 1000;
    if (log.length > 0) writeFileSync(join(CACHE_ROOT, "build.log"), log.join("\n"));
    return { arch, images: built, timings };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  ensureImages((line) => process.stdout.write(`${line}\n`)).then(
    (set) =>
      process.stdout.write(
        `${Object.keys(set.images).length} images in ${set.dir}; build times: ${JSON.stringify(set.timings)}\n`,
      ),
    (error) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}

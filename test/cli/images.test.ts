import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { closeServer, listenOnLoopback } from "../loopback-http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { platformImages, type ImageLock } from "../../model/images";

const ROOT = join(__dirname, "..", "..");
// Each test runs the program or a CLI several times; a loaded machine must not fail it.
jest.setTimeout(180_000);

/**
 * A registry on 127.0.0.1 that speaks the Docker Registry HTTP API v2 as
 * Docker Hub does: manifests only with a bearer token from its token service,
 * named in a 401's WWW-Authenticate. Each image's index lists arm64 and
 * amd64, unless the test says otherwise; `rebuild` changes what a tag points at.
 */
class FakeRegistry {
  server: Server;
  base = "";
  rebuilt = new Set<string>();
  amd64Only = new Set<string>();
  requests: string[] = [];

  constructor() {
    this.server = createServer((req, res) => {
      const url = new URL(req.url!, this.base);
      this.requests.push(`${req.method} ${url.pathname}`);
      if (url.pathname === "/token") {
        res.setHeader("Content-Type", "application/json");
        res.end(JSON.stringify({ token: `token-for-${url.searchParams.get("scope")}` }));
        return;
      }
      const match = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
      if (!match) {
        res.statusCode = 404;
        res.end();
        return;
      }
      const [, repository, tag] = match;
      if (req.headers.authorization !== `Bearer token-for-repository:${repository}:pull`) {
        res.statusCode = 401;
        res.setHeader(
          "WWW-Authenticate",
          `Bearer realm="${this.base}/token",service="fake-registry",scope="repository:${repository}:pull"`,
        );
        res.end();
        return;
      }
      const ref = `${repository}:${tag}`;
      const platforms = this.amd64Only.has(ref) ? ["amd64"] : ["amd64", "arm64"];
      const body = JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.index.v1+json",
        manifests: platforms.map((architecture) => ({
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          digest: `sha256:${createHash("sha256")
            .update(`${ref}/${architecture}/${this.rebuilt.has(ref) ? 2 : 1}`)
            .digest("hex")}`,
          size: 1000,
          platform: { os: "linux", architecture },
        })),
      });
      res.setHeader("Content-Type", "application/vnd.oci.image.index.v1+json");
      res.setHeader("Docker-Content-Digest", `sha256:${createHash("sha256").update(body).digest("hex")}`);
      res.end(body);
    });
  }

  async start(): Promise<void> {
    this.base = await listenOnLoopback(this.server);
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }
}

function images(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      join(ROOT, "node_modules", ".bin", "tsx"),
      ["cli/images.ts", ...args],
      { cwd: ROOT, timeout: 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("npm run images -- --update, against a registry on 127.0.0.1", () => {
  const registry = new FakeRegistry();
  let lock: string;
  let via: string[];
  beforeAll(async () => {
    await registry.start();
    via = ["--registry", `docker.io=${registry.base}`, "--registry", `ghcr.io=${registry.base}`];
    lock = join(mkdtempSync(join(tmpdir(), "orion-lock-")), "images.lock.json");
    copyFileSync(join(ROOT, "images.lock.json"), lock);
  });
  afterAll(() => registry.stop());
  const read = () => JSON.parse(readFileSync(lock, "utf8")) as ImageLock;

  it("locks every image to the digest of its manifest list, through the registry's token service, and prints each change", async () => {
    const run = await images(["--update", "--lock", lock, ...via]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const locked = read();
    expect(Object.keys(locked.images).sort()).toEqual(platformImages());
    for (const entry of Object.values(locked.images)) expect(entry.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(run.stdout).toContain(
      `~ postgres:15.13-bookworm: (no digest) -> ${locked.images["postgres:15.13-bookworm"].digest}`,
    );
    // Docker Hub's official images live under library/; other registries keep their own path.
    expect(registry.requests).toContain("GET /v2/library/postgres/manifests/15.13-bookworm");
    expect(registry.requests).toContain("GET /v2/google/cadvisor/manifests/v0.55.1");
    expect(registry.requests).toContain("GET /token");
  });

  it("changes nothing when no tag moved", async () => {
    const before = readFileSync(lock, "utf8");
    const run = await images(["--update", "--lock", lock, ...via]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`every digest is current (${platformImages().length} images); nothing changed`);
    expect(readFileSync(lock, "utf8")).toBe(before);
  });

  it("shows the old and the new digest when upstream rebuilt a tag, and changes only that one", async () => {
    const before = read();
    registry.rebuilt.add("library/redis:7.2.7-bookworm");
    const run = await images(["--update", "--lock", lock, ...via]);
    expect(run.code).toBe(0);
    const after = read();
    expect(run.stdout).toContain(
      `~ redis:7.2.7-bookworm: ${before.images["redis:7.2.7-bookworm"].digest} -> ${after.images["redis:7.2.7-bookworm"].digest}`,
    );
    expect(run.stdout).toContain("1 change\n");
    const changed = Object.keys(after.images).filter((i) => after.images[i].digest !== before.images[i].digest);
    expect(changed).toEqual(["redis:7.2.7-bookworm"]);
  });

  it("refuses an image with no arm64 variant and leaves the lock as it was", async () => {
    const before = readFileSync(lock, "utf8");
    registry.amd64Only.add("mher/flower:2.0.1");
    const run = await images(["--update", "--lock", lock, ...via]);
    registry.amd64Only.clear();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "mher/flower:2.0.1: has no linux/arm64 image (it offers linux/amd64); Hetzner's CAX servers are ARM",
    );
    expect(run.stderr).toContain("left unchanged");
    expect(readFileSync(lock, "utf8")).toBe(before);
  });

  it("says which registry it cannot reach, and changes nothing", async () => {
    const before = readFileSync(lock, "utf8");
    const run = await images([
      "--update",
      "--lock",
      lock,
      "--registry",
      "docker.io=http://127.0.0.1:9",
      "--registry",
      `ghcr.io=${registry.base}`,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("postgres:15.13-bookworm: cannot reach http://127.0.0.1:9");
    expect(readFileSync(lock, "utf8")).toBe(before);
  });

  it("--sync follows a tag changed in the services without asking a registry, and invents no digest", async () => {
    const stale = join(mkdtempSync(join(tmpdir(), "orion-lock-")), "images.lock.json");
    const lockWithOld: ImageLock = JSON.parse(readFileSync(lock, "utf8"));
    const [first] = platformImages();
    const kept = lockWithOld.images[platformImages()[1]].digest;
    delete lockWithOld.images[first];
    lockWithOld.images["example/retired:1.0"] = { digest: `sha256:${"0".repeat(64)}` };
    writeFileSync(stale, JSON.stringify(lockWithOld));
    const run = await images(["--sync", "--lock", stale]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`+ ${first}: (no digest) until npm run images -- --update`);
    expect(run.stdout).toContain("- example/retired:1.0: no service uses it any more");
    const synced = JSON.parse(readFileSync(stale, "utf8")) as ImageLock;
    expect(Object.keys(synced.images).sort()).toEqual(platformImages());
    expect(synced.images[first].digest).toBeNull();
    expect(synced.images[platformImages()[1]].digest).toBe(kept);
  });

  it("--check fails while an image has no digest, and passes once all have one", async () => {
    expect((await images(["--check", "--lock", lock])).code).toBe(0);
    const committed = await images(["--check"]);
    const open = Object.values(
      (JSON.parse(readFileSync(join(ROOT, "images.lock.json"), "utf8")) as ImageLock).images,
    ).some((e) => e.digest === null);
    expect(committed.code).toBe(open ? 1 : 0);
  });
});

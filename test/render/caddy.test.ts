import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { privateIp } from "../../model/addresses";
import { CADDY_ADMIN, LOAD_BALANCER_IP } from "../../model/ingress";
import type { Plan } from "../../model/plan";
import { CADDYFILE } from "../../model/render/caddy";
import { renderServerFiles } from "../../model/render/server-files";
import { STAGE_NAMES } from "../../model/stages";
import { planFor } from "../helpers";
import { freePort, waitFor } from "../servers/support";
import { run, writeTree } from "./tools";

/**
 * The Caddyfile every Caddy server gets, read by Debian's Caddy 2.6 (the
 * test bed's stand-in for the pinned image). `caddy adapt` only parses, so
 * it runs on the real addresses; Caddy started for real runs on loopback,
 * with its ports, admin address and upstream moved and nothing else.
 */
const CADDY = "caddy";

const variants: [string, Plan][] = [
  ...STAGE_NAMES.map(
    (stage) =>
      [`${stage}, orion:domain set`, planFor(stage, { domain: "orion.example.com", acmeEmail: "ops@example.com" })] as [
        string,
        Plan,
      ],
  ),
  ["launch without orion:domain", planFor("launch")],
  ["launch with Caddy's internal CA", planFor("launch", { domain: "orion.example.com", tlsIssuer: "internal" })],
  ["enterprise without orion:domain", planFor("enterprise")],
  [
    "enterprise with a Hetzner managed certificate",
    planFor("enterprise", { domain: "orion.example.com", loadBalancerTls: "hetzner-managed" }),
  ],
];
const cases = variants.flatMap(([label, plan]) =>
  plan.servers.filter((s) => s.caddy).map((s) => [label, s.name, plan] as const),
);

interface Route {
  match?: { host?: string[]; path?: string[] }[];
  handle?: {
    handler: string;
    status_code?: number;
    upstreams?: { dial: string }[];
    trusted_proxies?: string[];
    routes?: Route[];
  }[];
}
interface Adapted {
  apps: {
    http: { servers: Record<string, { listen: string[]; routes?: Route[]; automatic_https?: unknown }> };
    tls?: unknown;
  };
  admin?: { listen: string };
}

function adapt(caddyfile: string): Adapted {
  const dir = writeTree({ Caddyfile: caddyfile });
  const { status, output } = run(CADDY, ["adapt", "--config", join(dir, "Caddyfile"), "--adapter", "caddyfile"]);
  expect({ status, error: status === 0 ? "" : output }).toEqual({ status: 0, error: "" });
  return JSON.parse(output.slice(output.indexOf("{")));
}

/** Every handler of a route tree in the order Caddy runs them, with the paths that route matches. */
function handlers(
  routes: Route[] = [],
  paths: string[] = [],
): { handler: string; status?: number; dials: string[]; trusted?: string[]; paths: string[] }[] {
  return routes.flatMap((r) => {
    const own = (r.match ?? []).flatMap((m) => m.path ?? []);
    return (r.handle ?? []).flatMap((h) =>
      h.handler === "subroute"
        ? handlers(h.routes, [...paths, ...own])
        : [
            {
              handler: h.handler,
              status: h.status_code,
              dials: (h.upstreams ?? []).map((u) => u.dial),
              trusted: h.trusted_proxies,
              paths: [...paths, ...own],
            },
          ],
    );
  });
}

describe.each(cases)("the Caddyfile of %s on %s", (_, serverName, plan) => {
  const server = plan.servers.find((s) => s.name === serverName)!;
  const files = renderServerFiles(plan, server);
  const caddyfile = files[CADDYFILE];
  const adapted = adapt(caddyfile);
  const servers = Object.values(adapted.apps.http.servers);
  const all = servers.flatMap((s) => handlers(s.routes));
  const apiServers = server.caddy!.upstreamServers.map((name) => plan.servers.find((s) => s.name === name)!);

  it("is read by `caddy adapt` with its admin API on loopback only", () => {
    expect(adapted.admin?.listen).toBe(CADDY_ADMIN);
  });

  if (server.caddy!.mode === "behind-load-balancer") {
    it("answers the load balancer in plain HTTP on the private IP only, trusts only its X-Forwarded-For, and keeps /metrics private", () => {
      expect(servers.map((s) => s.listen)).toEqual([[`${privateIp(server)}:80`]]);
      expect(all[1].trusted).toEqual([`${LOAD_BALANCER_IP}/32`]);
      expect(all.map((h) => [h.handler, h.status])).toEqual([
        ["static_response", 404],
        ["reverse_proxy", undefined],
      ]);
      expect(all[0].paths).toEqual(["/metrics", "/metrics/*"]);
      // Its own API, where compose publishes it.
      expect(all[1].dials).toEqual([
        `${String(parse(files["compose.yaml"]).services.api.ports[0]).split(":")[0]}:8000`,
      ]);
    });
  } else if (plan.ingress.domain) {
    it("serves orion:domain over HTTPS with automatic certificates, answers /metrics with 404 before anything reaches the API, and proxies the rest to every API server", () => {
      expect(servers.map((s) => s.listen)).toEqual([[":443"]]);
      expect(servers[0].automatic_https).toBeUndefined();
      expect(all.map((h) => [h.handler, h.status])).toEqual([
        ["static_response", 404],
        ["reverse_proxy", undefined],
      ]);
      expect(all[0].paths).toEqual(["/metrics", "/metrics/*"]);
      // Its own API where compose publishes it, the others' on their private IPs.
      const published = String(parse(files["compose.yaml"]).services.api.ports[0]).split(":")[0];
      expect(all[1].dials).toEqual(apiServers.map((s) => `${s.name === server.name ? published : privateIp(s)}:8000`));
    });
  } else {
    it("without a domain serves no API at all: a notice on port 80, nothing on 443", () => {
      expect(servers.map((s) => s.listen)).toEqual([[":80"]]);
      expect(all.map((h) => [h.handler, h.status])).toEqual([["static_response", 503]]);
      expect(caddyfile).not.toContain("reverse_proxy");
    });
  }
});

describe("every stage", () => {
  it("runs Caddy on the servers that serve HTTP, and in enterprise only on the app server unless the load balancer terminates TLS", () => {
    for (const stage of STAGE_NAMES) {
      const plan = planFor(stage);
      expect([stage, plan.servers.filter((s) => s.caddy).map((s) => s.name)]).toEqual([stage, ["app"]]);
    }
    const managed = planFor("enterprise", { domain: "orion.example.com", loadBalancerTls: "hetzner-managed" });
    expect(managed.servers.filter((s) => s.caddy).map((s) => s.name)).toEqual(
      managed.servers.filter((s) => s.services.some((x) => x.name === "api")).map((s) => s.name),
    );
  });
});

// ---------------------------------------------------------------------------
// Caddy really serving, on loopback.

interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
}

/** A stand-in for the API container: /health, /metrics, and /slow that answers after a pause. */
function fakeApi(seen: Seen[]): Server {
  return createServer((req, res) => {
    seen.push({ path: req.url ?? "", headers: req.headers });
    if (req.url === "/slow") {
      setTimeout(() => res.end("slow done"), 1500);
      return;
    }
    res.writeHead(req.url === "/health" ? 200 : 200, { "content-type": "text/plain" });
    res.end(req.url === "/metrics" ? "http_request_duration_seconds_count 1\n" : `ok ${req.url}`);
  });
}

interface Moved {
  http: number;
  https: number;
  admin: number;
  api: number;
}

/** The rendered Caddyfile with only its ports, admin address and API address moved to loopback. */
function moveToLoopback(caddyfile: string, ports: Moved): string {
  const admin = `admin ${CADDY_ADMIN}`;
  expect(caddyfile).toContain(admin);
  expect(caddyfile).toContain("127.0.0.1:8000");
  return caddyfile
    .replace(admin, `admin localhost:${ports.admin}\n\thttp_port ${ports.http}\n\thttps_port ${ports.https}`)
    .replace("127.0.0.1:8000", `127.0.0.1:${ports.api}`);
}

interface Running {
  process: ChildProcess;
  dir: string;
  log: () => string;
}

function startCaddy(dir: string): Running {
  const child = spawn(CADDY, ["run", "--config", join(dir, "Caddyfile"), "--adapter", "caddyfile"], {
    env: { PATH: process.env.PATH, HOME: dir, XDG_DATA_HOME: join(dir, "data"), XDG_CONFIG_HOME: join(dir, "config") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout.on("data", (d) => (log += String(d)));
  child.stderr.on("data", (d) => (log += String(d)));
  return { process: child, dir, log: () => log };
}

async function stop(running: Running | undefined): Promise<void> {
  if (!running || running.process.exitCode !== null) return;
  const exited = new Promise((resolve) => running.process.once("exit", resolve));
  running.process.kill("SIGTERM");
  await exited;
}

interface Answer {
  status: number;
  body: string;
  headers: IncomingHttpHeaders;
}

function get(url: string, options: { ca?: string; servername?: string; host?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const requestFn = u.protocol === "https:" ? httpsRequest : httpRequest;
    const req = requestFn(
      {
        hostname: u.hostname,
        port: u.port,
        path: u.pathname,
        method: "GET",
        headers: { host: options.host ?? u.host },
        ca: options.ca,
        servername: options.servername,
        agent: false,
      },
      (res) => {
        let body = "";
        res.on("data", (d) => (body += String(d)));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("Caddy serving the launch stage's API with its internal CA, on loopback", () => {
  const domain = "orion.test";
  const plan = planFor("launch", { domain, tlsIssuer: "internal" });
  const rendered = renderServerFiles(plan, plan.servers[0])[CADDYFILE];
  const seen: Seen[] = [];
  let api: Server;
  let caddy: Running | undefined;
  let ports: Moved;
  let rootCa = "";
  const https = (path: string) =>
    get(`https://127.0.0.1:${ports.https}${path}`, {
      ca: rootCa,
      servername: domain,
      host: `${domain}:${ports.https}`,
    });

  beforeAll(async () => {
    api = fakeApi(seen);
    ports = { http: await freePort(), https: await freePort(), admin: await freePort(), api: await freePort() };
    await new Promise<void>((resolve) => api.listen(ports.api, "127.0.0.1", resolve));
    const dir = mkdtempSync(join(tmpdir(), "orion-caddy-"));
    writeFileSync(join(dir, "Caddyfile"), moveToLoopback(rendered, ports));
    expect(run(CADDY, ["validate", "--config", join(dir, "Caddyfile"), "--adapter", "caddyfile"]).status).toBe(0);
    caddy = startCaddy(dir);
    const root = join(dir, "data", "caddy", "pki", "authorities", "local", "root.crt");
    await waitFor(
      "Caddy's internal CA and certificate",
      async () =>
        existsSync(root) && (rootCa = readFileSync(root, "utf8")) !== "" && (await https("/health")).status === 200,
      30_000,
    );
  }, 60_000);

  afterAll(async () => {
    await stop(caddy);
    await new Promise((resolve) => api?.close(resolve));
  });

  it("answers /health over HTTPS with a certificate for orion:domain that verifies against Caddy's root, and tells the API the request was HTTPS", async () => {
    const answer = await https("/health");
    expect(answer).toMatchObject({ status: 200, body: "ok /health" });
    const forwarded = seen.filter((s) => s.path === "/health").pop()!;
    expect(forwarded.headers["x-forwarded-proto"]).toBe("https");
    expect(forwarded.headers["x-forwarded-for"]).toBe("127.0.0.1");
  });

  it("keeps /metrics private: 404 from Caddy, and the API never sees the request", async () => {
    const before = seen.filter((s) => s.path.startsWith("/metrics")).length;
    expect((await https("/metrics")).status).toBe(404);
    expect((await https("/metrics/extra")).status).toBe(404);
    expect(seen.filter((s) => s.path.startsWith("/metrics")).length).toBe(before);
  });

  it("redirects plain HTTP to HTTPS", async () => {
    const answer = await get(`http://127.0.0.1:${ports.http}/health`, { host: domain });
    expect(answer.status).toBeGreaterThanOrEqual(301);
    expect(answer.status).toBeLessThanOrEqual(308);
    expect(answer.headers.location).toMatch(
      new RegExp(`^https://${domain.replace(".", "\\.")}(:${ports.https})?/health$`),
    );
  });

  it("`caddy reload` applies a new Caddyfile without dropping a request in flight", async () => {
    const inFlight = https("/slow");
    await waitFor("the slow request to reach the API", () => seen.some((s) => s.path === "/slow"), 10_000);
    const changed = moveToLoopback(rendered.replace("respond @private 404", "respond @private 410"), ports);
    writeFileSync(join(caddy!.dir, "Caddyfile"), changed);
    const reload = run(CADDY, [
      "reload",
      "--config",
      join(caddy!.dir, "Caddyfile"),
      "--adapter",
      "caddyfile",
      "--address",
      `localhost:${ports.admin}`,
    ]);
    expect({ status: reload.status, output: reload.status === 0 ? "" : reload.output }).toEqual({
      status: 0,
      output: "",
    });
    expect(await inFlight).toMatchObject({ status: 200, body: "slow done" });
    expect((await https("/metrics")).status).toBe(410);
    expect(caddy!.process.exitCode).toBeNull();
  });
});

describe("Caddy without orion:domain, on loopback", () => {
  let caddy: Running | undefined;
  let ports: Moved;

  beforeAll(async () => {
    const plan = planFor("launch");
    const rendered = renderServerFiles(plan, plan.servers[0])[CADDYFILE];
    ports = { http: await freePort(), https: await freePort(), admin: await freePort(), api: await freePort() };
    const dir = mkdtempSync(join(tmpdir(), "orion-caddy-nodomain-"));
    // No upstream to move: this Caddyfile proxies nothing.
    expect(rendered).not.toContain("127.0.0.1:8000");
    writeFileSync(
      join(dir, "Caddyfile"),
      rendered
        .replace(
          `admin ${CADDY_ADMIN}`,
          `admin localhost:${ports.admin}\n\thttp_port ${ports.http}\n\thttps_port ${ports.https}`,
        )
        .replace("http:// {", `http://:${ports.http} {`),
    );
    caddy = startCaddy(dir);
    await waitFor(
      "Caddy on port 80",
      async () => (await get(`http://127.0.0.1:${ports.http}/`)).status === 503,
      30_000,
    );
  }, 60_000);

  afterAll(() => stop(caddy));

  it("answers every path with a 503 notice that names orion:domain, and listens on no HTTPS port", async () => {
    const answer = await get(`http://127.0.0.1:${ports.http}/health`);
    expect(answer.status).toBe(503);
    expect(answer.body).toContain("orion:domain is not set");
    await expect(get(`https://127.0.0.1:${ports.https}/health`)).rejects.toThrow(/ECONNREFUSED/);
  });
});

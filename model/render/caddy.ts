import { privateIp } from "../addresses";
import { CADDY_ADMIN, LOAD_BALANCER_IP } from "../ingress";
import type { Plan, PlannedServer } from "../plan-types";
import { SERVICES } from "../services";
import { formatComposeMemory } from "../units";
import { caddyfile, type CaddyDirective, type CaddySite } from "./caddyfile";
import { START_INTERVAL } from "./start-interval";

/** The Caddyfile, relative to the deploy directory; its directory is mounted at /etc/caddy, so a file moved into place is what `caddy reload` reads. */
export const CADDYFILE = "config/caddy/Caddyfile";
const CADDY_CONFIG_DIR = "/etc/caddy";
const CADDYFILE_IN_CONTAINER = `${CADDY_CONFIG_DIR}/Caddyfile`;
const CADDY_CONFIG_ARGS = ["--config", CADDYFILE_IN_CONTAINER, "--adapter", "caddyfile"];

/** Where the API container on `upstream` answers, seen from the host network of `from`: the address compose publishes it on. */
export function apiAddress(from: PlannedServer, upstream: PlannedServer, published: Record<string, string[]>): string {
  const port = SERVICES.api.port!;
  if (upstream.name !== from.name) return `${privateIp(upstream)}:${port}`;
  const mapping = published.api?.[0];
  if (!mapping) throw new Error(`the API on ${from.name} is not published, so Caddy cannot reach it`);
  // The published host port: the usual one, or the surge container's while a release swaps the API (model/release.ts).
  return mapping.split(":").slice(0, 2).join(":");
}

/** /metrics is Prometheus', which scrapes the API on the backend or private network; from outside it answers 404. */
const PRIVATE_PATHS: CaddyDirective[] = [
  { name: "@private", block: [{ name: "path", args: ["/metrics", "/metrics/*"] }] },
  { name: "respond", args: ["@private", 404] },
];

/** Shorter than Uvicorn's 5 s keep-alive timeout (see reverseProxy). */
const UPSTREAM_KEEPALIVE = "2s";

function reverseProxy(upstreams: string[], healthPath: string, trusted: string[] = []): CaddyDirective {
  // Several API servers: least busy first, and an upstream that fails its health check gets no requests until it passes again.
  // A request whose connection is refused (an API server restarting in a release) is tried on another server for up to 10 s.
  const balancing: CaddyDirective[] =
    upstreams.length > 1
      ? [
          { name: "lb_policy", args: ["least_conn"] },
          { name: "lb_try_duration", args: ["10s"] },
          { name: "health_uri", args: [healthPath] },
          { name: "health_interval", args: ["10s"] },
          { name: "fail_duration", args: ["30s"] },
        ]
      : [];
  // Only a proxy in front of Caddy may hand over the client's address (X-Forwarded-For); from anyone else Caddy replaces it.
  if (trusted.length > 0) balancing.push({ name: "trusted_proxies", args: trusted });
  // Uvicorn closes a keep-alive connection idle for 5 s (its --timeout-keep-alive); Caddy keeps idle upstream connections
  // 2 min by default, so it could send a request on one Uvicorn is closing, and answer it 502. Caddy lets them go first.
  balancing.push({ name: "transport", args: ["http"], block: [{ name: "keepalive", args: [UPSTREAM_KEEPALIVE] }] });
  return { name: "reverse_proxy", args: upstreams, ...(balancing.length > 0 ? { block: balancing } : {}) };
}

/**
 * One server's Caddyfile. With a domain, Caddy gets and renews its
 * certificate (Let's Encrypt by default, or its internal CA) and redirects
 * HTTP to HTTPS; without one it serves nothing but a notice on port 80, so
 * nothing is ever served in plain text by accident. Flower, Grafana,
 * Prometheus and Alertmanager are never served: they listen on the host's
 * loopback, for SSH tunnels.
 */
export function renderCaddyfile(plan: Plan, server: PlannedServer, published: Record<string, string[]>): string {
  const caddy = server.caddy;
  if (!caddy) throw new Error(`server ${server.name} runs no Caddy`);
  const upstreams = caddy.upstreamServers.map((name) =>
    apiAddress(
      server,
      plan.servers.find((s) => s.name === name)!,
      published,
    ),
  );
  const { domain, issuer, acmeEmail } = plan.ingress;
  const global: CaddyDirective[] = [{ name: "admin", args: [CADDY_ADMIN] }];
  let site: CaddySite;
  if (caddy.mode === "behind-load-balancer") {
    // The load balancer terminated TLS and says so in X-Forwarded-Proto and X-Forwarded-For.
    site = {
      addresses: [`http://:80`],
      directives: [
        { name: "bind", args: [privateIp(server)] },
        ...PRIVATE_PATHS,
        reverseProxy(upstreams, plan.app.healthPath, [`${LOAD_BALANCER_IP}/32`]),
      ],
    };
  } else if (domain) {
    if (issuer === "letsencrypt" && acmeEmail) global.push({ name: "email", args: [acmeEmail] });
    // The container has no system trust store worth writing to; clients get the root from Caddy's data volume.
    if (issuer === "internal") global.push({ name: "skip_install_trust" });
    site = {
      addresses: [domain],
      directives: [
        ...PRIVATE_PATHS,
        reverseProxy(upstreams, plan.app.healthPath),
        ...(issuer === "internal" ? [{ name: "tls", args: ["internal"] }] : []),
      ],
    };
  } else {
    site = {
      addresses: ["http://"],
      directives: [
        {
          name: "respond",
          args: ["orion:domain is not set, so this server does not serve the API on the internet.", 503],
        },
      ],
    };
  }
  return caddyfile(global, [site]);
}

/** Caddy as a compose service: on the host's network (it binds 80/443 and reaches the API on loopback), with its certificates on a named volume. */
export function caddyComposeService(server: PlannedServer, image: string): Record<string, unknown> {
  const caddy = server.caddy!;
  return {
    image,
    volumes: [
      `./${CADDYFILE.split("/").slice(0, -1).join("/")}:${CADDY_CONFIG_DIR}:ro`,
      "caddy-data:/data",
      "caddy-config:/config",
    ],
    network_mode: "host",
    command: ["caddy", "run", ...CADDY_CONFIG_ARGS],
    restart: "unless-stopped",
    healthcheck: {
      test: ["CMD", "wget", "-q", "-O", "/dev/null", `http://${CADDY_ADMIN}/config/`],
      interval: "30s",
      timeout: "5s",
      retries: 5,
      start_period: "30s",
      start_interval: START_INTERVAL,
    },
    logging: { driver: "json-file", options: { "max-size": "10m", "max-file": "3" } },
    mem_limit: formatComposeMemory(caddy.memoryLimitMb),
  };
}

/**
 * Deploy steps for Caddy: the new Caddyfile is validated by the pinned image
 * before any file is switched, and applied after compose with `caddy reload`,
 * which swaps the config in the running process without dropping connections
 * (a restart would). Compose never recreates Caddy for a Caddyfile change.
 */
export function caddyDeploySteps(imageRef: string, project: string): { checks: string[]; afterUp: string[] } {
  return {
    checks: [
      `docker run --rm --network none -v "$PWD/${CADDYFILE.split("/").slice(0, -1).join("/")}:${CADDY_CONFIG_DIR}:ro" ${imageRef} caddy validate ${CADDY_CONFIG_ARGS.join(" ")}`,
    ],
    afterUp: [`docker compose -p ${project} exec -T caddy caddy reload ${CADDY_CONFIG_ARGS.join(" ")}`],
  };
}

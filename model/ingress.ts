import { HETZNER_EXTRAS } from "./catalog";
import type { OrionConfig } from "./config";
import type { PlannedLoadBalancer, PlannedServer } from "./plan-types";
import { SERVICES } from "./services";

/**
 * How the API reaches the internet: Caddy on the host (the guide's "OS +
 * Caddy + ..." host reserve), in front of the API container, and in
 * enterprise the Hetzner load balancer in front of Caddy.
 */

/** Pinned like every other image; the program resolves it to a digest. Its Caddyfile uses only directives Caddy 2.6 already had (the test bed runs Debian's 2.6). */
export const CADDY_IMAGE = "caddy:2.8.4-alpine";

/**
 * Caddy's container limit, carved OUT OF the host reserve (the guide counts
 * Caddy in "OS + Caddy + Gitea + CI ~1,150 MB"), never added to the
 * containers: the guide's 2,848 MB launch table stays true. Caddy idles at
 * 30-50 MB; 128 MB leaves room for TLS handshakes and buffers at peak (chosen).
 */
export const CADDY_MEMORY_MB = 128;

/** Caddy's admin API, on the host's loopback only: `caddy reload` talks to it. */
export const CADDY_ADMIN = "localhost:2019";

/** Who issues the certificate Caddy serves: Let's Encrypt, or Caddy's own CA for a test bed or a staging stack without public DNS. */
export const TLS_ISSUERS = ["letsencrypt", "internal"] as const;
export type TlsIssuer = (typeof TLS_ISSUERS)[number];

/**
 * Enterprise: how TLS gets through the Hetzner load balancer.
 *
 * `caddy` (default, any domain): the load balancer passes TCP 80 and 443
 * through to the Caddy on the app server, its only target, which holds the
 * Let's Encrypt certificate and spreads requests over the API containers of
 * every API server on the private network (active health checks on /health).
 * A load balancer spreads connections over its targets, so an ACME challenge
 * (HTTP-01 on 80, TLS-ALPN-01 on 443) would reach a random server: Caddies on
 * several targets, each with its own storage, would each fail most of their
 * challenges. With one Caddy behind the load balancer every challenge reaches
 * the one ACME client that asked for it, so the certificate is obtained and
 * renewed with nothing but an A record. Costs: TLS ends on the app server
 * (a CAX31 terminates far more TLS than the API behind it serves), and the
 * API sees the load balancer's address as the client's (PROXY protocol needs
 * Caddy 2.7, which the test bed's Debian Caddy 2.6 cannot prove).
 *
 * `hetzner-managed`: the load balancer terminates TLS with a Hetzner managed
 * certificate, which Hetzner obtains and renews by DNS, so only for a domain
 * whose DNS zone Hetzner hosts. It forwards plain HTTP over the private
 * network to a Caddy on every API server (which keeps /metrics private) and
 * passes the client's address in X-Forwarded-For.
 */
export const LOAD_BALANCER_TLS = ["caddy", "hetzner-managed"] as const;
export type LoadBalancerTls = (typeof LOAD_BALANCER_TLS)[number];

/** The load balancer's address in the subnet, below the servers' range. */
export const LOAD_BALANCER_IP = "10.0.1.5";

/** What the Caddy on one server does. */
export interface PlannedCaddy {
  image: string;
  memoryLimitMb: number;
  /**
   * `tls`: serves HTTPS for orion:domain on every address of the server (or,
   * without a domain, only a notice on port 80). `behind-load-balancer`:
   * plain HTTP on the private IP for a load balancer that terminates TLS.
   */
  mode: "tls" | "behind-load-balancer";
  /** API servers it sends requests to, by name. */
  upstreamServers: string[];
}

/** The public entry to the API, as the plan and `pulumi up` describe it. */
export interface PlannedIngress {
  domain?: string;
  issuer: TlsIssuer;
  acmeEmail?: string;
  /** Where the domain's A/AAAA records must point: the app server, or the load balancer in enterprise. */
  dnsTarget: "app server" | "load balancer";
  /** One sentence: how the operator reaches the API once `pulumi up` is done. */
  howReached: string;
}

const runsApi = (s: PlannedServer) => s.services.some((x) => x.name === "api");

/** Which servers run Caddy, and as what. Servers that serve HTTP terminate TLS; with a managed certificate every API server answers the load balancer. */
export function planCaddy(
  server: PlannedServer,
  servers: PlannedServer[],
  loadBalancerTls: LoadBalancerTls | undefined,
): PlannedCaddy | undefined {
  const base = { image: CADDY_IMAGE, memoryLimitMb: CADDY_MEMORY_MB };
  if (loadBalancerTls === "hetzner-managed")
    return runsApi(server) ? { ...base, mode: "behind-load-balancer", upstreamServers: [server.name] } : undefined;
  if (!server.servesHttp) return undefined;
  // Behind a load balancer that passes TLS through, this one Caddy serves every API server.
  const upstreamServers = loadBalancerTls === "caddy" ? servers.filter(runsApi).map((s) => s.name) : [server.name];
  return { ...base, mode: "tls", upstreamServers };
}

export function planLoadBalancer(
  servers: PlannedServer[],
  tls: LoadBalancerTls,
  healthPath = "/health",
): PlannedLoadBalancer {
  const base = {
    name: "api",
    type: HETZNER_EXTRAS.loadBalancerType,
    tls,
    priceEurMonthly: HETZNER_EXTRAS.loadBalancerEurMonthly,
  };
  if (tls === "hetzner-managed") {
    return {
      ...base,
      targets: servers.filter(runsApi).map((s) => s.name),
      services: [{ protocol: "https", listenPort: 443, destinationPort: 80 }],
      healthCheck: { protocol: "http", port: 80, path: healthPath },
    };
  }
  return {
    ...base,
    targets: servers.filter((s) => s.servesHttp).map((s) => s.name),
    services: [
      { protocol: "tcp", listenPort: 80, destinationPort: 80 },
      { protocol: "tcp", listenPort: 443, destinationPort: 443 },
    ],
    // TCP: Caddy's answer on 80 is a redirect to HTTPS, and the certificate is for the domain, not the target's address.
    healthCheck: { protocol: "tcp", port: 80 },
  };
}

const API_TUNNEL = `ssh -N -L ${SERVICES.api.port}:127.0.0.1:${SERVICES.api.port} deploy@<app server>, then http://localhost:${SERVICES.api.port}/health`;

/** What `pulumi up` and the plan warn when no domain is set. */
export function noDomainMessage(ingress: PlannedIngress): string {
  return `is not set, so the API is not on the internet (Caddy answers only with a notice on port 80); reach it through an SSH tunnel (${API_TUNNEL}), or set orion:domain and point its A/AAAA records at the ${ingress.dnsTarget}`;
}

export function planIngress(
  config: Pick<OrionConfig, "domain" | "tlsIssuer" | "acmeEmail">,
  loadBalancer: PlannedLoadBalancer | undefined,
): PlannedIngress {
  const dnsTarget = loadBalancer ? "load balancer" : "app server";
  const howReached = config.domain
    ? `https://${config.domain}/ once its A/AAAA records point at the ${dnsTarget} (pulumi stack output api); Caddy redirects HTTP to HTTPS` +
      (config.tlsIssuer === "internal"
        ? ", with a certificate from Caddy's internal CA that clients must be told to trust"
        : loadBalancer?.tls === "hetzner-managed"
          ? ", with Hetzner's managed certificate"
          : ", with a Let's Encrypt certificate")
    : `through an SSH tunnel only (${API_TUNNEL}): without orion:domain Caddy serves nothing but a notice on port 80`;
  return { domain: config.domain, issuer: config.tlsIssuer, acmeEmail: config.acmeEmail, dnsTarget, howReached };
}

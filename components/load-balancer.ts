import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { hetznerName } from "../model/names";
import type { PlannedLoadBalancer } from "../model/plan";
import { LOAD_BALANCER_TOKEN } from "./tokens";

export interface ApiLoadBalancerArgs {
  balancer: PlannedLoadBalancer;
  location: string;
  subnetId: pulumi.Input<string>;
  /** Private IP of the load balancer in the subnet. */
  privateIp: string;
  /** API servers by name, reached on their private IPs. */
  targets: { name: string; serverId: pulumi.Input<string>; attachment: pulumi.Resource }[];
  /** The domain of the managed certificate (`hetzner-managed`). */
  domain?: string;
  /** Start of every Hetzner name (model/names.ts): `<namePrefix>-api`, unique in the Hetzner project. */
  namePrefix: string;
}

/** The enterprise stage's load balancer in front of the API servers, over the private network. */
export class ApiLoadBalancer extends pulumi.ComponentResource {
  public readonly loadBalancer: hcloud.LoadBalancer;
  public readonly ipv4Address: pulumi.Output<string>;

  constructor(name: string, args: ApiLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(LOAD_BALANCER_TOKEN, name, {}, opts);
    const lb = args.balancer;
    // Named by its role, not by `name`: a platform's children may carry the platform's name in Pulumi (`staging-api`).
    const named = hetznerName(args.namePrefix, lb.name);
    this.loadBalancer = new hcloud.LoadBalancer(
      name,
      { name: named, loadBalancerType: lb.type, location: args.location, algorithm: { type: "least_connections" } },
      { parent: this },
    );
    const lbId = this.loadBalancer.id.apply(Number);
    const network = new hcloud.LoadBalancerNetwork(
      `${name}-private`,
      { loadBalancerId: lbId, subnetId: args.subnetId, ip: args.privateIp },
      { parent: this },
    );

    const check = lb.healthCheck;
    const healthCheck = {
      protocol: check.protocol,
      port: check.port,
      interval: 10,
      timeout: 5,
      retries: 3,
      ...(check.path ? { http: { path: check.path, statusCodes: ["2??"] } } : {}),
    };
    // See model/ingress.ts for why TLS ends on one Caddy (`caddy`) or at the load balancer (`hetzner-managed`).
    const certificate =
      lb.tls === "hetzner-managed"
        ? new hcloud.ManagedCertificate(
            `${name}-certificate`,
            { name: named, domainNames: [args.domain!] },
            { parent: this },
          )
        : undefined;
    for (const service of lb.services) {
      new hcloud.LoadBalancerService(
        `${name}-${service.protocol === "tcp" ? `tcp-${service.listenPort}` : service.protocol}`,
        {
          loadBalancerId: this.loadBalancer.id,
          protocol: service.protocol,
          listenPort: service.listenPort,
          destinationPort: service.destinationPort,
          healthCheck,
          ...(service.protocol === "https" && certificate
            ? { http: { certificates: [certificate.id.apply(Number)], redirectHttp: true } }
            : {}),
        },
        { parent: this },
      );
    }
    for (const target of args.targets) {
      new hcloud.LoadBalancerTarget(
        `${name}-${target.name}`,
        {
          type: "server",
          loadBalancerId: lbId,
          serverId: pulumi.output(target.serverId).apply(Number),
          usePrivateIp: true,
        },
        { parent: this, dependsOn: [network, target.attachment] },
      );
    }
    this.ipv4Address = this.loadBalancer.ipv4;
    this.registerOutputs({ ipv4Address: this.ipv4Address });
  }
}

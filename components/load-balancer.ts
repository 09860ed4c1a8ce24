import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { hetznerName } from "../model/names";
import type { PlannedLoadBalancer } from "../model/plan";
import { LOAD_BALANCER_TYPE } from "./tokens";

export interface ApiLoadBalancerArgs {
  balancer: PlannedLoadBalancer;
  location: string;
  subnetId: pulumi.Input<string>;
  /** Private IP of the load balancer in the subnet. */
  privateIp: string;
  /** API servers by name, reached on their private IPs. */
  targets: { name: string; serverId: pulumi.Input<string>; attachment: pulumi.Resource }[];
  /** With a domain, HTTPS with a Hetzner managed certificate; HTTP then redirects. */
  domain?: string;
  /** Start of every Hetzner name (model/names.ts). */
  namePrefix: string;
}

/** The enterprise stage's load balancer in front of the API servers, over the private network. */
export class ApiLoadBalancer extends pulumi.ComponentResource {
  public readonly loadBalancer: hcloud.LoadBalancer;
  public readonly ipv4Address: pulumi.Output<string>;

  constructor(name: string, args: ApiLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(LOAD_BALANCER_TYPE, name, {}, opts);
    const lb = args.balancer;
    this.loadBalancer = new hcloud.LoadBalancer(name, { name: hetznerName(args.namePrefix, name), loadBalancerType: lb.type, location: args.location, algorithm: { type: "least_connections" } }, { parent: this });
    const lbId = this.loadBalancer.id.apply(Number);
    const network = new hcloud.LoadBalancerNetwork(`${name}-private`, { loadBalancerId: lbId, subnetId: args.subnetId, ip: args.privateIp }, { parent: this });

    const healthCheck = { protocol: "http", port: lb.destinationPort, interval: 10, timeout: 5, retries: 3, http: { path: lb.healthCheckPath, statusCodes: ["2??"] } };
    if (args.domain) {
      const certificate = new hcloud.ManagedCertificate(`${name}-certificate`, { name: hetznerName(args.namePrefix, name), domainNames: [args.domain] }, { parent: this });
      new hcloud.LoadBalancerService(
        `${name}-https`,
        { loadBalancerId: this.loadBalancer.id, protocol: "https", listenPort: 443, destinationPort: lb.destinationPort, healthCheck, http: { certificates: [certificate.id.apply(Number)], redirectHttp: true } },
        { parent: this },
      );
    } else {
      new hcloud.LoadBalancerService(`${name}-http`, { loadBalancerId: this.loadBalancer.id, protocol: "http", listenPort: lb.listenPort, destinationPort: lb.destinationPort, healthCheck }, { parent: this });
    }
    for (const target of args.targets) {
      new hcloud.LoadBalancerTarget(
        `${name}-${target.name}`,
        { type: "server", loadBalancerId: lbId, serverId: pulumi.output(target.serverId).apply(Number), usePrivateIp: true },
        { parent: this, dependsOn: [network, target.attachment] },
      );
    }
    this.ipv4Address = this.loadBalancer.ipv4;
    this.registerOutputs({ ipv4Address: this.ipv4Address });
  }
}

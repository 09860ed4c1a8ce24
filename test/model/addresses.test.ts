import { privateIp, SUBNET_CIDR } from "../../model/addresses";
import { STAGES, STAGE_NAMES, type ServerRole } from "../../model/stages";
import { planFor } from "../helpers";

describe("private IPs", () => {
  it("are fixed by role and number: app .10, db .20, replicas .21+, redis .30 and .31, API servers .40+n, workers .50+n", () => {
    const servers: [string, ServerRole][] = [
      ["app", "app"],
      ["db", "db"],
      ["db-replica-1", "db-replica"],
      ["redis", "redis"],
      ["redis-replica", "redis-replica"],
      ["api-2", "api"],
      ["worker-1", "worker"],
      ["worker-2", "worker"],
    ];
    expect(servers.map(([name, role]) => [name, privateIp({ name, role })])).toEqual([
      ["app", "10.0.1.10"],
      ["db", "10.0.1.20"],
      ["db-replica-1", "10.0.1.21"],
      ["redis", "10.0.1.30"],
      ["redis-replica", "10.0.1.31"],
      ["api-2", "10.0.1.42"],
      ["worker-1", "10.0.1.51"],
      ["worker-2", "10.0.1.52"],
    ]);
  });

  it("give a server the same address in every stage that has it, so configs naming it never change", () => {
    const seen = new Map<string, string>();
    for (const stage of STAGE_NAMES) {
      for (const s of planFor(stage).servers) {
        expect([s.name, privateIp(s)]).toEqual([s.name, seen.get(s.name) ?? privateIp(s)]);
        seen.set(s.name, privateIp(s));
      }
    }
  });

  it("are distinct and inside the subnet for every server count the enterprise config accepts", () => {
    const [prefix] = SUBNET_CIDR.split(".0/24");
    const counted = STAGES.enterprise.servers.filter((s) => s.count);
    const names: [string, ServerRole][] = STAGES.enterprise.servers
      .filter((s) => !s.count)
      .map((s) => [s.name, s.role]);
    for (const spec of counted)
      for (let n = spec.count!.alreadyCounted + 1; n <= spec.count!.max; n++)
        names.push([`${spec.name}-${n}`, spec.role]);
    const ips = names.map(([name, role]) => privateIp({ name, role }));
    expect(new Set(ips).size).toBe(ips.length);
    for (const ip of ips) expect(ip).toMatch(new RegExp(`^${prefix.replace(/\./g, "\\.")}\\.(\\d+)$`));
    for (const ip of ips) expect(Number(ip.split(".")[3])).toBeLessThan(255);
  });
});

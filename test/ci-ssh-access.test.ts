import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import { closeServer, listenOnLoopback } from "./loopback-http";
import { join } from "node:path";

const SCRIPT = join(__dirname, "..", ".github", "scripts", "ci-ssh-access.mjs");
const TOKEN = "test-token";

interface Firewall {
  id: number;
  name: string;
  labels: Record<string, string>;
  rules: unknown[];
  applied_to: { type: string; label_selector?: { selector: string } }[];
}

/**
 * The parts of the Hetzner Cloud API the script uses, on 127.0.0.1, with the
 * rules that matter: a firewall still applied cannot be deleted, and applying
 * or removing one is an action that finishes a moment later.
 */
class FakeHetzner {
  server: Server;
  base = "";
  firewalls: Firewall[] = [];
  calls: string[] = [];
  private nextId = 100;
  private actions = new Map<number, number>();

  constructor() {
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- async to read the body; a throw here leaves the call unanswered and the script under test fails on it
    this.server = createServer(async (req, res) => {
      let body = "";
      for await (const chunk of req) body += chunk;
      const url = new URL(req.url!, this.base);
      const send = (status: number, value?: unknown) => {
        res.statusCode = status;
        res.setHeader("Content-Type", "application/json");
        res.end(value === undefined ? "" : JSON.stringify(value));
      };
      if (url.pathname === "/ip") return res.end("203.0.113.77\n");
      this.calls.push(`${req.method} ${url.pathname}`);
      if (req.headers.authorization !== `Bearer ${TOKEN}`)
        return send(401, { error: { code: "unauthorized", message: "unable to authenticate" } });
      const action = (command: string) => {
        const id = this.nextId++;
        this.actions.set(id, 0);
        return { id, command, status: "running" };
      };
      let m: RegExpExecArray | null;
      if (req.method === "GET" && url.pathname === "/firewalls") {
        const [key, value] = (url.searchParams.get("label_selector") ?? "").split("=");
        return send(200, { firewalls: this.firewalls.filter((f) => !key || f.labels[key] === value) });
      }
      if (req.method === "POST" && url.pathname === "/firewalls") {
        const input = JSON.parse(body);
        const firewall: Firewall = {
          id: this.nextId++,
          name: input.name,
          labels: input.labels,
          rules: input.rules,
          applied_to: input.apply_to,
        };
        this.firewalls.push(firewall);
        return send(201, { firewall, actions: [action("apply_firewall")] });
      }
      if (req.method === "GET" && (m = /^\/actions\/(\d+)$/.exec(url.pathname))) {
        const polls = (this.actions.get(Number(m[1])) ?? 0) + 1;
        this.actions.set(Number(m[1]), polls);
        return send(200, {
          action: { id: Number(m[1]), command: "apply_firewall", status: polls >= 2 ? "success" : "running" },
        });
      }
      if (req.method === "POST" && (m = /^\/firewalls\/(\d+)\/actions\/remove_from_resources$/.exec(url.pathname))) {
        const firewall = this.firewalls.find((f) => f.id === Number(m![1]))!;
        const remove = JSON.parse(body).remove_from as Firewall["applied_to"];
        firewall.applied_to = firewall.applied_to.filter(
          (a) => !remove.some((r) => r.label_selector?.selector === a.label_selector?.selector),
        );
        return send(201, { actions: [action("remove_firewall")] });
      }
      if (req.method === "DELETE" && (m = /^\/firewalls\/(\d+)$/.exec(url.pathname))) {
        const firewall = this.firewalls.find((f) => f.id === Number(m![1]))!;
        if (firewall.applied_to.length > 0)
          return send(409, { error: { code: "resource_in_use", message: "firewall still applied" } });
        this.firewalls = this.firewalls.filter((f) => f !== firewall);
        return send(204);
      }
      return send(404, { error: { code: "not_found" } });
    });
  }

  async start(): Promise<void> {
    this.base = await listenOnLoopback(this.server);
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }
}

describe("CI's SSH access for one deploy, against a Hetzner API on 127.0.0.1", () => {
  const hetzner = new FakeHetzner();
  beforeAll(() => hetzner.start());
  afterAll(() => hetzner.stop());

  const script = (args: string[], token = TOKEN): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) =>
      execFile(
        process.execPath,
        [SCRIPT, ...args],
        {
          env: {
            PATH: process.env.PATH,
            HCLOUD_TOKEN: token,
            HCLOUD_ENDPOINT: hetzner.base,
            ORION_IP_ECHO_URLS: `${hetzner.base}/ip`,
            GITHUB_RUN_ID: "4242",
          },
          timeout: 60_000,
        },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      ),
    );

  it("opens SSH from the runner's address to every server of the stack, by its label, and waits until Hetzner has applied it", async () => {
    const run = await script(["open", "--prefix", "orion-prod"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(hetzner.firewalls).toEqual([
      {
        id: expect.any(Number),
        name: "orion-prod-ci-4242",
        labels: { "orion-ci-for": "orion-prod" },
        rules: [
          {
            direction: "in",
            protocol: "tcp",
            port: "22",
            source_ips: ["203.0.113.77/32"],
            description: "SSH from the CI runner for one deploy",
          },
        ],
        applied_to: [{ type: "label_selector", label_selector: { selector: "orion-stack=orion-prod" } }],
      },
    ]);
    expect(hetzner.calls.filter((c) => c.startsWith("GET /actions/")).length).toBeGreaterThanOrEqual(2);
    expect(run.stdout).toContain("opened SSH from 203.0.113.77/32 to servers with orion-stack=orion-prod");
  });

  it("closes it: takes it off the servers, then deletes it", async () => {
    const run = await script(["close", "--prefix", "orion-prod"]);
    expect(run.code).toBe(0);
    expect(hetzner.firewalls).toEqual([]);
    const tail = hetzner.calls.slice(-4).map((c) => c.replace(/\d+/g, "N"));
    expect(tail).toEqual([
      "POST /firewalls/N/actions/remove_from_resources",
      "GET /actions/N",
      "GET /actions/N",
      "DELETE /firewalls/N",
    ]);
  });

  it("removes what a cancelled run left before opening, and never touches another stack's", async () => {
    await script(["open", "--prefix", "orion-staging"]);
    await script(["open", "--prefix", "orion-prod"]);
    const run = await script(["open", "--prefix", "orion-prod"]);
    expect(run.code).toBe(0);
    expect(hetzner.firewalls.map((f) => f.labels["orion-ci-for"]).sort()).toEqual(["orion-prod", "orion-staging"]);
  });

  it("fails with Hetzner's answer when the token is refused", async () => {
    const run = await script(["open", "--prefix", "orion-prod"], "wrong");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("ci-ssh-access: GET /firewalls?label_selector=orion-ci-for%3Dorion-prod answered 401");
  });
});

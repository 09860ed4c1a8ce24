import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { recordProcess, type RunDir } from "./state";

export interface HttpRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** PEM of the CA that signed the server's certificate (Caddy's internal CA on the bed). */
  ca?: string;
  /** The address to dial; the URL's host is sent as SNI and Host. */
  connectTo?: string;
  timeoutMs?: number;
}

export interface HttpAnswer {
  status?: number;
  headers?: Record<string, string | string[]>;
  body?: string;
  error?: string;
  ms: number;
  /** Epoch ms when the request was sent and when its answer (or error) came. */
  start: number;
  end: number;
}

/**
 * Probes from inside one network namespace (a host, the operator or the
 * private-network neighbour): TCP scans and HTTP(S) requests, sent by a small
 * agent process that runs in that namespace.
 */
export class Prober {
  private child?: ChildProcess;
  private next = 0;
  private pending = new Map<number, (answer: Record<string, unknown>) => void>();

  constructor(
    private readonly runDir: RunDir,
    /** Path of the network namespace (`/run/netns/...`). */
    readonly netns: string,
    readonly label: string,
  ) {}

  private agent(): ChildProcess {
    // A host's power cut kills its agent with SIGKILL: exitCode stays null and signalCode tells.
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) return this.child;
    const child = spawn("nsenter", [`--net=${this.netns}`, process.execPath, join(__dirname, "agent.js")], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    recordProcess(this.runDir, child.pid!, `probe agent ${this.label}`);
    createInterface({ input: child.stdout }).on("line", (line) => {
      const answer = JSON.parse(line) as { id: number };
      this.pending.get(answer.id)?.(answer);
      this.pending.delete(answer.id);
    });
    child.on("exit", () => {
      if (this.child === child) this.child = undefined;
      for (const resolve of this.pending.values()) resolve({ error: `the probe agent in ${this.label} exited` });
      this.pending.clear();
    });
    this.child = child;
    return child;
  }

  private call<T>(message: Record<string, unknown>): Promise<T> {
    const id = ++this.next;
    return new Promise((resolve) => {
      this.pending.set(id, resolve as (a: Record<string, unknown>) => void);
      this.agent().stdin!.write(`${JSON.stringify({ id, ...message })}\n`);
    });
  }

  /** Which of the ports accept a TCP connection on `host`. */
  async openPorts(host: string, ports: number[], timeoutMs = 1500): Promise<number[]> {
    const answer = await this.call<{ open?: number[]; error?: string }>({ op: "scan", host, ports, timeoutMs });
    if (!answer.open) throw new Error(`scan of ${host} from ${this.label} failed: ${answer.error}`);
    return answer.open;
  }

  http(request: HttpRequest): Promise<HttpAnswer> {
    return this.call<HttpAnswer>({ op: "http", request });
  }

  /** Sends the request again and again, one after the other, until stopLoop. */
  async startLoop(loop: string, request: HttpRequest, pauseMs = 0): Promise<void> {
    await this.call({ op: "loopStart", loop, request, pauseMs });
  }

  async stopLoop(loop: string): Promise<HttpAnswer[]> {
    const answer = await this.call<{ records?: HttpAnswer[]; error?: string }>({ op: "loopStop", loop });
    if (!answer.records) throw new Error(`loop ${loop} in ${this.label}: ${answer.error}`);
    return answer.records;
  }

  close(): void {
    this.child?.stdin?.end();
    this.child?.kill("SIGKILL");
  }
}

/** Every TCP port. */
export const ALL_PORTS = Array.from({ length: 65535 }, (_, i) => i + 1);

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { renderTopology, renderTopologyDoc } from "../model/report/topology";
import { defaultPlans } from "../model/report/stages-doc";
import { formatMb } from "../model/units";
import { run, writeTree } from "./render/tools";

const ROOT = join(__dirname, "..");
const MMDC = join(ROOT, "node_modules", ".bin", "mmdc");
/** Debian's Chromium (.ci/run installs it); mermaid-cli's own browser download is never run. */
const CHROMIUM = "/usr/bin/chromium";
/** GitHub's README column: a wider diagram is scaled down until its text is too small to read. */
const GITHUB_WIDTH_PX = 880;

/** Renders every Mermaid block of a Markdown file in one browser start; returns the SVGs in order. */
function renderMermaid(markdown: string): { status: number; output: string; svgs: string[] } {
  const dir = writeTree({
    "doc.md": markdown,
    "puppeteer.json": JSON.stringify({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    }),
  });
  const { status, output } = run(MMDC, [
    "-p",
    join(dir, "puppeteer.json"),
    "-i",
    join(dir, "doc.md"),
    "-o",
    join(dir, "out.md"),
    "-e",
    "svg",
    "-q",
  ]);
  const svgs = readdirSync(dir)
    .filter((f) => /^out-\d+\.svg$/.test(f))
    .sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]))
    .map((f) => readFileSync(join(dir, f), "utf8"));
  return { status, output, svgs };
}

/** The width Mermaid gives the picture (its max-width), before a page scales it. */
const naturalWidth = (svg: string) => Number(/max-width: ([\d.]+)px/.exec(svg)![1]);

const plans = defaultPlans();

describe("the topology diagrams in docs/topology.md", () => {
  let rendered: ReturnType<typeof renderMermaid>;
  beforeAll(() => {
    rendered = renderMermaid(readFileSync(join(ROOT, "docs", "topology.md"), "utf8"));
  }, 300_000);

  it("render in Chromium with mermaid-cli, one picture per stage", () => {
    expect({ status: rendered.status, output: rendered.status === 0 ? "" : rendered.output }).toEqual({
      status: 0,
      output: "",
    });
    expect(rendered.svgs).toHaveLength(plans.length);
    for (const svg of rendered.svgs) expect(svg).toMatch(/^<svg /);
  });

  it.each(plans.map((p, i) => [p.stage, i] as const))(
    "%s fits GitHub's column without being scaled down",
    (stage, i) => {
      const width = naturalWidth(rendered.svgs[i]);
      process.stdout.write(`topology ${stage}: ${Math.round(width)} px wide\n`);
      expect(width).toBeLessThanOrEqual(GITHUB_WIDTH_PX);
    },
  );

  it("a syntax error fails the render, so the build fails with it", () => {
    const broken = renderMermaid('```mermaid\nflowchart TB\n  a["unclosed --> b\n```\n');
    expect(broken.status).not.toBe(0);
  }, 300_000);
});

describe("the README's diagrams", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```mermaid\n[\s\S]*?```\n/g)].map((m) => m[0]);
  let rendered: ReturnType<typeof renderMermaid>;
  beforeAll(() => {
    rendered = renderMermaid(blocks.join("\n"));
  }, 300_000);

  it("render in Chromium with mermaid-cli, the architecture's among them, each within GitHub's column", () => {
    expect(blocks.some((b) => b.includes("model/deploy-order.ts"))).toBe(true);
    expect({ status: rendered.status, output: rendered.status === 0 ? "" : rendered.output }).toEqual({
      status: 0,
      output: "",
    });
    expect(rendered.svgs).toHaveLength(blocks.length);
    for (const [i, svg] of rendered.svgs.entries()) {
      process.stdout.write(`README diagram ${i + 1}: ${Math.round(naturalWidth(svg))} px wide\n`);
      expect(naturalWidth(svg)).toBeLessThanOrEqual(GITHUB_WIDTH_PX);
    }
  });
});

describe.each(plans.map((p) => [p.stage, p] as const))("the %s topology", (_, plan) => {
  const diagram = renderTopology(plan);
  const doc = renderTopologyDoc([plan]);

  it("draws every server once and no container boxes", () => {
    for (const server of plan.servers) expect(diagram).toContain(server.name);
    expect(diagram).not.toMatch(/\["(db|api|redis)<br\/>/);
  });

  it("lists every container of every server with its limit in the tables", () => {
    for (const server of plan.servers) {
      const table = doc.slice(doc.indexOf(`**${server.name}**`)).split("\n\n")[1];
      for (const s of server.services)
        expect(table).toMatch(
          new RegExp(`^\\| ${s.name} +\\| +${formatMb(s.memoryLimitMb)} \\| +${s.replicas} \\|`, "m"),
        );
    }
  });

  it("points the broker at the Redis master, never at a Sentinel", () => {
    const master = plan.servers.find((s) => s.services.some((x) => x.name === "redis"))!;
    const broker = diagram.split("\n").filter((l) => l.includes('"broker"'));
    expect(broker.filter((l) => !l.endsWith(`| ${master.name.replace(/-/g, "_")}`))).toEqual([]);
    // Where Celery runs on other servers than Redis, the picture has the edge.
    const remote = plan.servers.some((s) => s !== master && s.services.some((x) => x.name === "celery-worker"));
    expect(broker.length > 0).toBe(remote);
    expect(doc).not.toMatch(/redis-sentinel[^|\n]*\(broker\)/);
  });
});

describe("the enterprise picture", () => {
  const diagram = renderTopology(plans.find((p) => p.stage === "enterprise")!);
  it("draws one edge per kind of connection from the application servers, not one per server", () => {
    expect(
      diagram
        .split("\n")
        .filter((l) => l.startsWith("  app_servers -->"))
        .map((l) => l.trim()),
    ).toEqual([
      'app_servers -->|"SQL via PgBouncer"| db',
      'app_servers -->|"reads"| db_replica_1',
      'app_servers -->|"broker"| redis',
    ]);
  });
  it("shows the two worker servers as one box", () => {
    expect(diagram).toContain("worker-1 … worker-2");
  });
});

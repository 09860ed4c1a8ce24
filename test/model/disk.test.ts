import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { rescaleRefusal } from "../../model/disk";
import { errorOf, planFor, server } from "../helpers";

describe("the root disk a server really has (keepDisk)", () => {
  it("keeps launch's 40 GB on the app server through every stage, whatever its type offers", () => {
    expect(server(planFor("early-growth"), "app")).toMatchObject({
      type: "cax21",
      diskGb: 40,
      disk: { createdAs: "cax11", typeDiskGb: 80, keepDisk: true },
    });
    expect(server(planFor("scale"), "app")).toMatchObject({ type: "cax31", diskGb: 40, disk: { typeDiskGb: 160 } });
    expect(server(planFor("enterprise"), "db")).toMatchObject({
      type: "cax31",
      diskGb: 80,
      disk: { createdAs: "cax21" },
    });
  });

  it("grows the disk with the type where orion:keepDisk.<server> is false", () => {
    expect(server(planFor("scale", { keepDisk: { app: false } }), "app")).toMatchObject({
      diskGb: 160,
      disk: { keepDisk: false },
    });
  });

  it("knows Hetzner refuses to move a grown disk back to a smaller type, and allows a kept one", () => {
    const grown = server(planFor("scale", { keepDisk: { app: false } }), "app");
    expect(rescaleRefusal(grown.diskGb, "cax21")).toBe(
      "its 160 GB disk is larger than a CAX21's 80 GB, and Hetzner never shrinks a disk",
    );
    expect(rescaleRefusal(server(planFor("scale"), "app").diskGb, "cax11")).toBeUndefined();
  });

  it("refuses orion:keepDisk for a server the stage does not have", () => {
    expect(errorOf(() => planFor("growth", { keepDisk: { db: false } }))).toBe(
      "orion:keepDisk.db false names a server the growth stage does not have; its servers are app",
    );
  });

  it("prints the kept disk in npm run plan, not the new type's", () => {
    // Wide enough that the header stays on one line.
    const out = execFileSync(
      join(__dirname, "..", "..", "node_modules", ".bin", "tsx"),
      ["cli/plan.ts", "--stage", "scale"],
      { cwd: join(__dirname, "..", ".."), encoding: "utf8", env: { ...process.env, COLUMNS: "200" } },
    );
    expect(out).toContain(
      "app (app): CAX31, 8 vCPU, 16,384 MB RAM, 40 GB disk (kept from CAX11; a new server of this type has 160 GB), 14.50 EUR/month",
    );
  });
});

import { CELERY_CHILD_MB, CELERY_PARENT_MB, celerySettings } from "../../model/celery";

describe("Celery worker settings from the container limit and the server's vCPUs", () => {
  it("launch's 512 MB worker on a 2-vCPU CAX11 runs 2 children, each recycled at 80% of its 192 MB share (153 MB)", () => {
    expect(celerySettings(512, 2)).toEqual({ concurrency: 2, maxMemoryPerChildKb: 153 * 1024 });
  });

  it("never runs more children than vCPUs: 2,048 MB on a 4-vCPU CAX21 runs 4, each recycled at 80% of 480 MB (384 MB)", () => {
    expect(celerySettings(2048, 4)).toEqual({ concurrency: 4, maxMemoryPerChildKb: 384 * 1024 });
  });

  it("runs one child when the limit leaves less than a child's 192 MB beside the 128 MB parent", () => {
    expect(celerySettings(256, 2)).toEqual({ concurrency: 1, maxMemoryPerChildKb: 102 * 1024 });
  });

  it("keeps the parent and every child at its recycle point inside the container limit, for every limit from 256 MB to 8 GB", () => {
    for (let limitMb = 256; limitMb <= 8192; limitMb += 64) {
      for (const vcpu of [2, 4, 8, 16]) {
        const { concurrency, maxMemoryPerChildKb } = celerySettings(limitMb, vcpu);
        expect({
          limitMb,
          vcpu,
          fits: CELERY_PARENT_MB + (concurrency * maxMemoryPerChildKb) / 1024 <= limitMb,
        }).toEqual({ limitMb, vcpu, fits: true });
        expect(concurrency).toBeLessThanOrEqual(
          Math.max(1, Math.min(vcpu, Math.floor((limitMb - CELERY_PARENT_MB) / CELERY_CHILD_MB))),
        );
      }
    }
  });
});

import { registryHostOf } from "../../model/render/deploy-script";

describe("the registry host of orion:appImage, which the deploy logs in to", () => {
  it.each([
    ["orion/orion:1.0.0", undefined],
    ["postgres:15-alpine", undefined],
    ["orion:1.0.0", undefined],
    ["registry.example.com/orion:1.0", "registry.example.com"],
    ["registry.example.com:5000/team/orion:1.0", "registry.example.com:5000"],
    ["ghcr.io/acme/orion@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "ghcr.io"],
    ["localhost/orion:dev", "localhost"],
    ["localhost:5000/orion", "localhost:5000"],
  ])("%s -> %s", (image, host) => {
    expect(registryHostOf(image)).toBe(host);
  });
});

import { defaultNamePrefix, NAME_PREFIX_PATTERN } from "../../model/names";
import { parseConfig } from "../../model/config";
import { errorOf } from "../helpers";

describe("the Hetzner name prefix", () => {
  it("defaults to project and stack, made fit for a host name", () => {
    expect(defaultNamePrefix("orion", "prod")).toBe("orion-prod");
    expect(defaultNamePrefix("Orion", "Staging_EU.2")).toBe("orion-staging-eu-2");
    expect(NAME_PREFIX_PATTERN.test(defaultNamePrefix("orion", "a".repeat(80)))).toBe(true);
  });

  it("takes orion:namePrefix, and refuses one Hetzner would not take in a server name", () => {
    expect(parseConfig({ namePrefix: "orion" }).namePrefix).toBe("orion");
    expect(parseConfig({ namePrefix: "" }).namePrefix).toBeUndefined();
    expect(errorOf(() => parseConfig({ namePrefix: "Orion Prod" }))).toBe(
      'orion:namePrefix "Orion Prod" is not a name prefix Hetzner accepts; use lowercase letters, digits and dashes, 1 to 40 characters, starting and ending with a letter or digit, e.g. orion-prod',
    );
  });
});

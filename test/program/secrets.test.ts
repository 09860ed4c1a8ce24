import { CONFIG_NAMESPACE, SECRET_CONFIG_KEYS } from "../../model/config";
import { STAGE_NAMES } from "../../model/stages";
import type { MockRun } from "../../offline/mock-run";
import { runOrion } from "../../offline/orion";
import { isSecretValue, plainStrings, unwrap } from "../../offline/wire";

/** Every secret the program reads, each with a value that cannot occur by chance. */
const SECRETS = Object.fromEntries(
  SECRET_CONFIG_KEYS.map((key) => [`${CONFIG_NAMESPACE}:${key}`, `seeded-${key}-5c1e9a`]),
);
// orion:appSecrets is a map of the app's own secrets (set with --secret --path); its one value is seeded like the others.
SECRETS[`${CONFIG_NAMESPACE}:appSecrets`] = JSON.stringify({ SEEDED_APP_KEY: "seeded-appSecrets-5c1e9a" });
const SEEDED = Object.entries(SECRETS).map(([key, value]) =>
  key.endsWith(":appSecrets") ? "seeded-appSecrets-5c1e9a" : value,
);
/** Settings under which every secret is used: an SMTP login, a private app image, a webhook and a dead man's switch. */
const USES_EVERY_SECRET = {
  alertEmail: "ops@orion.shop",
  smtpFrom: "alerts@orion.shop",
  smtpSmarthost: "smtp.orion.shop:587",
  smtpUsername: "alerts",
  appImage: "registry.orion.shop/orion/orion:1.0.0",
  registryUsername: "deploy",
};

/** Every string inside a secret wire value, unwrapped. */
function secretStrings(value: unknown): string[] {
  if (isSecretValue(value)) return [JSON.stringify(unwrap(value.value))];
  if (Array.isArray(value)) return value.flatMap(secretStrings);
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap(secretStrings);
  return [];
}

const runs = {} as Record<string, MockRun>;
beforeAll(async () => {
  for (const stage of STAGE_NAMES)
    runs[stage] = await runOrion({ stage, ...USES_EVERY_SECRET }, { preview: false, secrets: SECRETS });
}, 300_000);

describe.each(STAGE_NAMES)("the secrets of the %s stage", (stage) => {
  it("reach the servers, each inside a secret value", () => {
    const carried = runs[stage].resources.flatMap((r) => secretStrings(r.inputs)).join("\n");
    expect(SEEDED.filter((value) => !carried.includes(value))).toEqual([]);
  });

  it("never appear in a plain property of any resource", () => {
    const leaks = runs[stage].resources.flatMap((r) =>
      plainStrings(r.inputs).flatMap(({ path, text }) =>
        SEEDED.filter((v) => text.includes(v)).map((v) => `${r.name}.${path} holds ${v}`),
      ),
    );
    expect(leaks).toEqual([]);
  });
});

import { ARM_LOCATIONS, SERVER_TYPES, maxUvicornWorkers } from "../../model/catalog";

describe("the guide's Hetzner ARM (CAX) pricing table", () => {
  it.each([
    ["cax11", 2, 4096, 40, 4.5, 1, 24],
    ["cax21", 4, 8192, 80, 7.5, 3, 75],
    ["cax31", 8, 16384, 160, 14.5, 10, 200],
    ["cax41", 16, 32768, 320, 27.5, 25, 500],
  ] as const)(
    "%s has %i vCPU, %i MB RAM, %i GB disk for %f EUR and suits up to %i clients and %i stores",
    (name, vcpu, ramMb, diskGb, price, clients, stores) => {
      const type = SERVER_TYPES[name];
      expect(type).toMatchObject({ vcpu, ramMb, diskGb, priceEurMonthly: price });
      expect(type.suits).toMatchObject({ maxClients: clients, maxStores: stores });
    },
  );

  it("offers ARM only in Falkenstein, Nuremberg and Helsinki", () => {
    expect([...ARM_LOCATIONS]).toEqual(["fsn1", "nbg1", "hel1"]);
  });

  it("allows 9 Uvicorn workers on a CAX21, the guide's 2 x 4 vCPU + 1", () => {
    expect(maxUvicornWorkers(SERVER_TYPES.cax21)).toBe(9);
  });
});

/**
 * Hetzner Cloud ARM (CAX) server types, as the Orion scaling guide prices them
 * ("Hetzner ARM (CAX) Pricing": monthly, excl. VAT).
 *
 * RAM is in MiB because compose `mem_limit` units (`512m`, `1g`) are binary:
 * the guide's "MB" figures are those units, and a "4 GB" CAX11 is 4,096 of them.
 */
export interface ServerType {
  name: ServerTypeName;
  vcpu: number;
  ramMb: number;
  diskGb: number;
  priceEurMonthly: number;
  /** The guide's "Suitable For" column. */
  suits: { clients: string; maxClients: number; maxStores: number };
}

export const SERVER_TYPE_NAMES = ["cax11", "cax21", "cax31", "cax41"] as const;
export type ServerTypeName = (typeof SERVER_TYPE_NAMES)[number];

export const SERVER_TYPES: Record<ServerTypeName, ServerType> = {
  // Guide: CAX11 | 2 | 4 GB | 40 GB | ~4.50 EUR | 1 client, up to 24 stores
  cax11: {
    name: "cax11",
    vcpu: 2,
    ramMb: 4096,
    diskGb: 40,
    priceEurMonthly: 4.5,
    suits: { clients: "1", maxClients: 1, maxStores: 24 },
  },
  // Guide: CAX21 | 4 | 8 GB | 80 GB | ~7.50 EUR | 2-3 clients, up to 75 stores
  cax21: {
    name: "cax21",
    vcpu: 4,
    ramMb: 8192,
    diskGb: 80,
    priceEurMonthly: 7.5,
    suits: { clients: "2-3", maxClients: 3, maxStores: 75 },
  },
  // Guide: CAX31 | 8 | 16 GB | 160 GB | ~14.50 EUR | 5-10 clients, up to 200 stores
  cax31: {
    name: "cax31",
    vcpu: 8,
    ramMb: 16384,
    diskGb: 160,
    priceEurMonthly: 14.5,
    suits: { clients: "5-10", maxClients: 10, maxStores: 200 },
  },
  // Guide: CAX41 | 16 | 32 GB | 320 GB | ~27.50 EUR | 10-25 clients, up to 500 stores
  cax41: {
    name: "cax41",
    vcpu: 16,
    ramMb: 32768,
    diskGb: 320,
    priceEurMonthly: 27.5,
    suits: { clients: "10-25", maxClients: 25, maxStores: 500 },
  },
};

/**
 * Hetzner locations that offer ARM (CAX) servers. Falkenstein, Nuremberg and
 * Helsinki had them when the guide was written; Ashburn, Hillsboro and
 * Singapore offer only x86 types, so a CAX server cannot be created there.
 */
export const ARM_LOCATIONS = ["fsn1", "nbg1", "hel1"] as const;
export type ArmLocation = (typeof ARM_LOCATIONS)[number];

/** Locations Hetzner has without ARM, named so that errors can say why they are refused. */
export const NON_ARM_LOCATIONS = ["ash", "hil", "sin"] as const;

/** The network zone of each ARM location: a private network's subnet must be in its servers' zone. */
export const NETWORK_ZONE: Record<ArmLocation, string> = { fsn1: "eu-central", nbg1: "eu-central", hel1: "eu-central" };

export function isServerTypeName(value: string): value is ServerTypeName {
  return (SERVER_TYPE_NAMES as readonly string[]).includes(value);
}

export function isArmLocation(value: string): value is ArmLocation {
  return (ARM_LOCATIONS as readonly string[]).includes(value);
}

/** Hetzner's 2 x vCPU + 1 is the guide's rule of thumb for Uvicorn workers ("Multi-Worker API"). */
export function maxUvicornWorkers(type: ServerType): number {
  return 2 * type.vcpu + 1;
}

/**
 * Figures the guide does not give, taken from Hetzner's public price list at
 * the time of writing (EUR per month, excl. VAT). They only feed cost reports.
 */
export const HETZNER_EXTRAS = {
  /** Block storage volume, per GB and month. */
  volumePerGbEurMonthly: 0.044,
  /** The smallest load balancer (lb11): 5 services, 25 targets, enough for the API. */
  loadBalancerType: "lb11",
  loadBalancerEurMonthly: 5.39,
  /** Hetzner's automatic backups cost 20% of the server's price. */
  backupShareOfServerPrice: 0.2,
  /** Hetzner's smallest volume. */
  minVolumeGb: 10,
} as const;

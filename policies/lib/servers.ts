import { SERVER_TYPES, isServerTypeName, type ServerType } from "../../model/catalog";
import { HOST_RESERVE_MB, STATEFUL_ROLES, type ServerRole } from "../../model/stages";
import { isKnownString } from "./props";
import type { ServerView } from "./stack";

/** The catalog entry of a server's type, when it is a type of the catalog. */
export function serverTypeOf(server: ServerView): ServerType | undefined {
  return isKnownString(server.serverType) && isServerTypeName(server.serverType)
    ? SERVER_TYPES[server.serverType]
    : undefined;
}

const isRole = (role: string | undefined): role is ServerRole => role !== undefined && role in HOST_RESERVE_MB;

/**
 * Memory kept for the host outside containers, by the role the server is
 * labelled with at Hetzner. A server without a known role gets the largest
 * reserve: what it runs besides containers is not known.
 */
export function hostReserveOf(server: ServerView): { mb: number; covers: string; role: string } {
  if (isRole(server.role)) return { ...HOST_RESERVE_MB[server.role], role: server.role };
  const largest = Object.entries(HOST_RESERVE_MB).sort(([, a], [, b]) => b.mb - a.mb)[0];
  return { ...largest[1], role: `unknown (largest reserve, as for ${largest[0]})` };
}

/** Named volumes, bind mounts outside the project folder that a service writes to, and Hetzner volumes hold data. */
export function dataHeldBy(server: ServerView): string[] {
  const reasons: string[] = server.volumes.map((v) => `volume ${v.name} is attached`);
  for (const d of server.deployments) {
    for (const s of d.compose?.services ?? []) {
      for (const m of s.mounts) {
        if (m.type === "volume" && m.source) reasons.push(`${s.name} keeps data in the volume ${m.source}`);
        if (m.type === "bind" && m.source?.startsWith("/mnt/") && !m.readOnly)
          reasons.push(`${s.name} writes to ${m.source}`);
      }
    }
  }
  if (isRole(server.role) && STATEFUL_ROLES.includes(server.role)) reasons.push(`its role ${server.role} holds data`);
  return reasons;
}

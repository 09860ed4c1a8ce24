import { commandLines } from "../lib/heredocs";
import { composeAt, forEachCompose, stackCheck, type OrionStackPolicy } from "../lib/policy";
import { shellWords } from "../files/compose";
import { builtImageOf } from "../lib/built-image";

const DIGEST = /@sha256:[0-9a-f]{64}$/;

/**
 * A tag can be moved to other bytes at any time; a digest cannot. Every image
 * a server runs or pulls is pinned by digest, so what was previewed is what runs.
 */
export const serviceEnforceImageDigest: OrionStackPolicy = {
  name: "service-enforce-image-digest",
  description:
    "Every image a compose file runs or a command pulls, and every base image of what a server builds, must be pinned by digest (name:tag@sha256:...).",
  enforcementLevel: "mandatory",
  reads: [
    "compose file: `services.*.image`, `services.*.build`",
    "Dockerfiles a deploy writes for `build`: `FROM`",
    "command scripts: `docker pull` arguments",
  ],
  validateStack: stackCheck((view, report) => {
    forEachCompose(view, (d) => {
      for (const s of d.compose.services) {
        // Built on the server: what runs is the Dockerfile the deploy writes, so its base images carry the pins.
        const built = builtImageOf(d, s);
        if (built) {
          if (built.scriptLine === undefined)
            report({
              ...composeAt(d, ["services", s.name, "build"]),
              problem: `${s.name} builds from ${built.path}, which the deploy does not write`,
              fix: "write the Dockerfile in the same deploy, with every FROM pinned by digest",
            });
          else if (built.bases.length === 0)
            report({
              server: d.serverName,
              urn: d.command.urn,
              file: built.path,
              problem: `${s.name} builds from ${built.path}, which names no base image`,
              fix: "start it FROM an image pinned by digest",
            });
          for (const base of built.bases.filter((b) => !DIGEST.test(b.image))) {
            report({
              server: d.serverName,
              urn: d.command.urn,
              file: built.path,
              line: base.line,
              key: "FROM",
              problem: `${s.name} is built FROM ${base.image}, which is not pinned by digest`,
              fix: `build FROM ${base.image.split("@")[0]}@sha256:<digest> (the program resolves digests at preview)`,
            });
          }
          continue;
        }
        if (s.image === undefined)
          report({
            ...composeAt(d, ["services", s.name]),
            problem: `${s.name} has no image (a build on the server is not what was previewed)`,
            fix: "name an image pinned by digest",
          });
        else if (!DIGEST.test(s.image))
          report({
            ...composeAt(d, ["services", s.name, "image"]),
            problem: `${s.name} runs ${s.image}, which is not pinned by digest`,
            fix: `pin it as ${s.image.split("@")[0]}@sha256:<digest> (the program resolves digests at preview)`,
          });
      }
    });
    for (const { command, server, script } of view.commands) {
      if (typeof script !== "string") continue;
      for (const { line, text } of commandLines(script)) {
        const words = shellWords(text);
        const at = words.findIndex((w, j) => w === "pull" && words[j - 1] === "docker");
        if (at < 0) continue;
        for (const image of words.slice(at + 1).filter((w) => !w.startsWith("-") && !/[;&|]/.test(w))) {
          if (!DIGEST.test(image))
            report({
              server: server?.name ?? command.name,
              urn: command.urn,
              file: `${command.name} script`,
              line,
              key: "create",
              problem: `${command.name} pulls ${image}, which is not pinned by digest`,
              fix: `pull ${image.split("@")[0]}@sha256:<digest>`,
            });
        }
      }
    }
  }),
};

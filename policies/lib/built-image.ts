import { baseImages, type DockerfileBase } from "../files/dockerfile";
import type { ComposeService } from "../files/compose";
import { fileAt, type Deployment } from "./stack";

/** A service compose builds on the server: its Dockerfile as the deploy writes it, and the images it builds on. */
export interface BuiltImage {
  /** The Dockerfile's path in the compose project. */
  path: string;
  /** Where the Dockerfile starts in the deploy script; undefined when the deploy does not write it. */
  scriptLine?: number;
  bases: DockerfileBase[];
}

/**
 * What a service with `build:` runs: the image is made on the server from the
 * Dockerfile the same deploy writes, so what was previewed is that file and
 * the images it names. undefined: the service has no `build`.
 */
export function builtImageOf(d: Deployment, s: ComposeService): BuiltImage | undefined {
  const build = s.raw.build;
  if (build === undefined) return undefined;
  const spec = typeof build === "string" ? { context: build } : (build as { context?: unknown; dockerfile?: unknown });
  const context = String(spec.context ?? ".")
    .replace(/^\.\//, "")
    .replace(/\/$/, "");
  const path = `${context === "." ? "" : `${context}/`}${spec.dockerfile === undefined ? "Dockerfile" : String(spec.dockerfile)}`;
  const file = fileAt(d, path);
  return { path, scriptLine: file?.scriptLine, bases: file ? baseImages(file.content) : [] };
}

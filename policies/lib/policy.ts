import type {
  ReportViolation,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { formatFinding, type Finding } from "./finding";
import { stackView, type Deployment, type StackView } from "./stack";
import { UNKNOWN } from "./props";
import { keyOf, type ComposeService } from "../files/compose";

/** What docs/policies.md says each policy reads: files by path, resources by type and property. */
export interface Reads {
  reads: string[];
}
export type OrionStackPolicy = StackValidationPolicy & Reads;
export type OrionResourcePolicy = ResourceValidationPolicy & Reads;
export type OrionPolicy = OrionStackPolicy | OrionResourcePolicy;

/**
 * A stack policy over the view of what each server runs. Findings are
 * reported once each, on the resource they name.
 */
export function stackCheck(
  check: (view: StackView, report: (finding: Finding) => void, args: StackValidationArgs) => void,
): StackValidationPolicy["validateStack"] {
  return (args: StackValidationArgs, reportViolation: ReportViolation) => {
    const seen = new Set<string>();
    const report = (finding: Finding) => {
      const message = formatFinding(finding);
      if (seen.has(`${finding.urn}\n${message}`)) return;
      seen.add(`${finding.urn}\n${message}`);
      reportViolation(message, finding.urn);
    };
    check(stackView(args.resources), report, args);
  };
}

/**
 * Each deployment whose compose file can be read. The others are skipped
 * here and reported once, by deploy-enforce-readable-files.
 */
export function forEachCompose(view: StackView, check: (d: ReadableDeployment) => void): void {
  for (const d of view.deployments)
    if (d.script !== UNKNOWN && d.compose && d.composePath && !d.compose.error) check(d as ReadableDeployment);
}

export type ReadableDeployment = Deployment & {
  script: string;
  compose: NonNullable<Deployment["compose"]>;
  composePath: string;
};

/** Where a compose setting is: file, line and key. */
export function composeAt(
  d: ReadableDeployment,
  path: (string | number)[],
): Pick<Finding, "file" | "line" | "key" | "server" | "urn"> {
  return {
    server: d.serverName,
    urn: d.command.urn,
    file: d.composePath,
    line: d.compose.lineOf(path),
    key: keyOf(path),
  };
}

/** Replicas Compose starts: `deploy.replicas` or `scale` in the file, or `--scale` on the deploy's `up`. */
export function replicasOf(d: ReadableDeployment, s: ComposeService): number {
  return Math.max(s.replicas, d.scale[s.name] ?? 0);
}

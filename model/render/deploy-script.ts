import { PGDATA_MOUNT_PATH } from "../plan";
import { COMPOSE_PROJECT } from "./compose";
import { DEPLOY_DIR, TEMPLATE_SUFFIX } from "./server-files";
import { dropStartIntervalOnOldEngines } from "./start-interval";

export const MOUNT_HELPER = "/usr/local/sbin/orion-mount-volume";
export const DEPLOY_USER = "deploy";
const HEREDOC_END = "ORION_FILE_EOF";

export interface DeployScriptOptions {
  /** The server has the pgdata volume: mount it at PGDATA_MOUNT_PATH before compose starts. */
  mountsPgdata: boolean;
  /** Registry host of a private app image; the script logs in with the env file's credentials. */
  registryHost?: string;
  /** Keys for the deploy user: rotated here, so changing them never touches the server's user-data. */
  sshPublicKeys: string[];
  /** Files a service reads a secret from (Alertmanager's SMTP password), written from env file variables. */
  secretFiles?: { file: string; env: string }[];
  /** Checks run on the staged files before anything is switched (Caddy validating its new Caddyfile). */
  checks?: string[];
  /** Commands run once compose is up, in DEPLOY_DIR (Caddy's reload). */
  afterUp?: string[];
  /** Commands run before any file is switched, once the registry is logged in (getting the new app image). */
  prepare?: string[];
  /** Commands run once the files are in place, before compose converges, in DEPLOY_DIR (the app's release). */
  beforeUp?: string[];
}

/** `${VAR}` names in a template, for envsubst to fill in and nothing else. */
function templateVariables(content: string): string[] {
  return [...new Set([...content.matchAll(/\$\{([A-Z][A-Z0-9_]*)\}/g)].map((m) => m[1]))];
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'"'"'`)}'`;
}

function heredoc(path: string, content: string): string {
  if (content.split("\n").includes(HEREDOC_END))
    throw new Error(`${path} contains the line ${HEREDOC_END}, which would end its heredoc`);
  return `cat > ${shellQuote(path)} <<'${HEREDOC_END}'\n${content}${content.endsWith("\n") ? "" : "\n"}${HEREDOC_END}`;
}

/** Where a deploy writes and checks every file before any of them replaces a live one; relative to DEPLOY_DIR. */
export const STAGING_DIR = ".staging";

/**
 * The command `pulumi up` runs over SSH on each server. The files travel in
 * the command (plain text, so previews show every change); the env file with
 * the secrets arrives on stdin and is written with mode 600.
 *
 * It stops at the first failing step (`set -euo pipefail`, one command per
 * line: bash ignores a failure inside an `&&` chain). Every file is written
 * and checked in a staging directory first (env file, filled-in templates,
 * `docker compose config`), then the volume is mounted and the registry
 * logged in; only then are the files moved into place and compose run. A
 * deploy that fails before the switch leaves the running stack and its files
 * as they were.
 */
export function renderDeployScript(files: Record<string, string>, options: DeployScriptOptions): string {
  const dirOf = (path: string) => path.split("/").slice(0, -1).join("/");
  const dirs = [
    ...new Set(
      Object.keys(files)
        .map(dirOf)
        .filter((d) => d !== ""),
    ),
  ].sort();
  const mkdirs = dirs.length > 0 ? [`mkdir -p ${dirs.map(shellQuote).join(" ")}`] : [];
  const compose = `docker compose -p ${COMPOSE_PROJECT} --profile full`;
  const lines = [
    "set -euo pipefail",
    `cd ${DEPLOY_DIR}`,
    "umask 022",
    `rm -rf ${STAGING_DIR}`,
    `mkdir -m 700 ${STAGING_DIR}`,
    `cd ${STAGING_DIR}`,
    "# Secrets: the env file comes on stdin and only the deploy user can read it.",
    "install -m 600 /dev/stdin .env",
    ...mkdirs,
    ...Object.entries(files)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([path, content]) => heredoc(path, content)),
  ];
  /** Files the server makes from the env file: moved into place like the rendered ones, or removed when no longer made. */
  const generated: string[] = [];
  for (const { file, env } of options.secretFiles ?? []) {
    // Readable by the container's user; the directory only lets a known name through.
    lines.push(`install -d -m 711 ${shellQuote(dirOf(file))}`);
    lines.push(
      `(set -a; . ./.env; if [ -n "\${${env}:-}" ]; then printf '%s' "$${env}" > ${shellQuote(file)}; chmod 644 ${shellQuote(file)}; fi)`,
    );
    generated.push(file);
  }
  for (const [path, content] of Object.entries(files).filter(([p]) => p.endsWith(TEMPLATE_SUFFIX))) {
    const output = path.slice(0, -TEMPLATE_SUFFIX.length);
    const vars = templateVariables(content)
      .map((v) => `$${v}`)
      .join(" ");
    lines.push(`(set -a; . ./.env; envsubst ${shellQuote(vars)} < ${shellQuote(path)} > ${shellQuote(output)})`);
    lines.push(`chmod 644 ${shellQuote(output)}`);
    generated.push(output);
  }
  lines.push(dropStartIntervalOnOldEngines("compose.yaml"));
  lines.push("# The compose file and every ${...} in it, checked against the new env file before anything runs.");
  lines.push(`${compose} config --quiet`);
  lines.push(...(options.checks ?? []));
  if (options.mountsPgdata) lines.push(`sudo ${MOUNT_HELPER} mount ${PGDATA_MOUNT_PATH}`);
  if (options.registryHost) {
    lines.push(`if grep -q '^REGISTRY_PASSWORD=' .env; then`);
    lines.push(
      `  (set -a; . ./.env; printf '%s' "$REGISTRY_PASSWORD" | docker login --username "$REGISTRY_USERNAME" --password-stdin ${shellQuote(options.registryHost)})`,
    );
    lines.push("fi");
  }
  lines.push(...(options.prepare ?? []));
  lines.push(`cd ${DEPLOY_DIR}`);
  lines.push("# Switch: every checked file moves into place, then compose converges.");
  lines.push("install -d -m 700 ~/.ssh");
  lines.push(`printf '%s\\n' ${options.sshPublicKeys.map(shellQuote).join(" ")} > ~/.ssh/authorized_keys.new`);
  lines.push("mv ~/.ssh/authorized_keys.new ~/.ssh/authorized_keys");
  lines.push(...mkdirs);
  for (const { file } of options.secretFiles ?? []) lines.push(`install -d -m 711 ${shellQuote(dirOf(file))}`);
  for (const path of [".env", ...Object.keys(files).sort()])
    lines.push(`mv -f ${shellQuote(`${STAGING_DIR}/${path}`)} ${shellQuote(path)}`);
  for (const path of generated) {
    lines.push(
      `if [ -e ${shellQuote(`${STAGING_DIR}/${path}`)} ]; then mv -f ${shellQuote(`${STAGING_DIR}/${path}`)} ${shellQuote(path)}; else rm -f ${shellQuote(path)}; fi`,
    );
  }
  lines.push(`rm -rf ${STAGING_DIR}`);
  lines.push(...(options.beforeUp ?? []));
  lines.push(`${compose} up -d --wait --remove-orphans`);
  for (const step of options.afterUp ?? []) lines.push(step);
  return lines.join("\n").concat("\n");
}

/** The registry host of an image reference, when it names one (`registry.example.com/orion:1.0`). */
export function registryHostOf(image: string): string | undefined {
  const first = image.split("/")[0];
  return image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")
    ? first
    : undefined;
}

/**
 * Run on the app server when the database has moved to its own server
 * (growth -> scale): stop the old database cleanly and unmount the pgdata
 * volume so that Hetzner can attach it to the db server. On a server that
 * never had the database it does nothing.
 */
export function renderReleasePgdataScript(): string {
  const container = `${COMPOSE_PROJECT}-db-1`;
  return [
    "set -euo pipefail",
    // One command per line: bash goes on after a failure inside `a && b`, and the volume must never be unmounted under a running database.
    `if docker inspect ${container} >/dev/null 2>&1; then`,
    `  docker stop --time 60 ${container}`,
    `  docker rm ${container}`,
    "fi",
    `sudo ${MOUNT_HELPER} release ${PGDATA_MOUNT_PATH}`,
  ]
    .join("\n")
    .concat("\n");
}

/**
 * Pulls a server's public images before its deploy, while other steps run
 * (on the db server: while the app server releases the pgdata volume), so
 * that starting the containers is not held up by downloads. All at once: the
 * engine shares the layers they have in common, and the step takes as long
 * as the largest image rather than the sum. It fails if any pull fails,
 * after every pull has ended, so its output names each image that failed.
 */
export function renderPullScript(images: string[]): string {
  // Each pull alone on its line, as the policy pack reads `docker pull` arguments line by line.
  const pulls = [...new Set(images)]
    .sort()
    .flatMap((image) => [`docker pull --quiet ${shellQuote(image)} &`, 'pids="$pids $!"']);
  return [
    "set -euo pipefail",
    'pids=""',
    ...pulls,
    "failed=0",
    'for pid in $pids; do wait "$pid" || failed=1; done',
    'exit "$failed"',
  ]
    .join("\n")
    .concat("\n");
}

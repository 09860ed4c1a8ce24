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
}

/** `${VAR}` names in a template, for envsubst to fill in and nothing else. */
function templateVariables(content: string): string[] {
  return [...new Set([...content.matchAll(/\$\{([A-Z][A-Z0-9_]*)\}/g)].map((m) => m[1]))];
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'"'"'`)}'`;
}

function heredoc(path: string, content: string): string {
  if (content.split("\n").includes(HEREDOC_END)) throw new Error(`${path} contains the line ${HEREDOC_END}, which would end its heredoc`);
  return `cat > ${shellQuote(path)} <<'${HEREDOC_END}'\n${content}${content.endsWith("\n") ? "" : "\n"}${HEREDOC_END}`;
}

/**
 * The command `pulumi up` runs over SSH on each server. The files travel in
 * the command (plain text, so previews show every change); the env file with
 * the secrets arrives on stdin and is written with mode 600.
 */
export function renderDeployScript(files: Record<string, string>, options: DeployScriptOptions): string {
  const dirs = [...new Set(Object.keys(files).map((f) => f.split("/").slice(0, -1).join("/")).filter((d) => d !== ""))].sort();
  const lines = [
    "set -eu",
    `cd ${DEPLOY_DIR}`,
    "umask 022",
    "# Secrets: the env file comes on stdin and only the deploy user can read it.",
    "install -m 600 /dev/stdin .env",
    `install -d -m 700 ~/.ssh && printf '%s\\n' ${options.sshPublicKeys.map(shellQuote).join(" ")} > ~/.ssh/authorized_keys.new && mv ~/.ssh/authorized_keys.new ~/.ssh/authorized_keys`,
    ...(dirs.length > 0 ? [`mkdir -p ${dirs.map(shellQuote).join(" ")}`] : []),
    ...Object.entries(files)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([path, content]) => heredoc(path, content)),
  ];
  for (const { file, env } of options.secretFiles ?? []) {
    // Readable by the container's user; the directory only lets a known name through.
    const dir = file.split("/").slice(0, -1).join("/");
    lines.push(`install -d -m 711 ${shellQuote(dir)} && (set -a; . ./.env; if [ -n "\${${env}:-}" ]; then printf '%s' "$${env}" > ${shellQuote(file)}; chmod 644 ${shellQuote(file)}; else rm -f ${shellQuote(file)}; fi)`);
  }
  for (const [path, content] of Object.entries(files).filter(([p]) => p.endsWith(TEMPLATE_SUFFIX))) {
    const output = path.slice(0, -TEMPLATE_SUFFIX.length);
    const vars = templateVariables(content).map((v) => `$${v}`).join(" ");
    lines.push(`(set -a; . ./.env; envsubst ${shellQuote(vars)} < ${shellQuote(path)} > ${shellQuote(`${output}.new`)}) && chmod 644 ${shellQuote(`${output}.new`)} && mv ${shellQuote(`${output}.new`)} ${shellQuote(output)}`);
  }
  if (options.mountsPgdata) lines.push(`sudo ${MOUNT_HELPER} mount ${PGDATA_MOUNT_PATH}`);
  if (options.registryHost) {
    lines.push(`if grep -q '^REGISTRY_PASSWORD=' .env; then (set -a; . ./.env; printf '%s' "$REGISTRY_PASSWORD" | docker login --username "$REGISTRY_USERNAME" --password-stdin ${shellQuote(options.registryHost)}); fi`);
  }
  lines.push(dropStartIntervalOnOldEngines("compose.yaml"));
  lines.push(`docker compose -p ${COMPOSE_PROJECT} --profile full up -d --wait --remove-orphans`);
  return lines.join("\n").concat("\n");
}

/** The registry host of an image reference, when it names one (`registry.example.com/orion:1.0`). */
export function registryHostOf(image: string): string | undefined {
  const first = image.split("/")[0];
  return image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost") ? first : undefined;
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
    "set -eu",
    `if docker inspect ${container} >/dev/null 2>&1; then docker stop --time 60 ${container} && docker rm ${container}; fi`,
    `sudo ${MOUNT_HELPER} release ${PGDATA_MOUNT_PATH}`,
  ].join("\n").concat("\n");
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
  const pulls = [...new Set(images)].sort().map((image) => `docker pull --quiet ${shellQuote(image)} & pids="$pids $!"`);
  return ["set -eu", 'pids=""', ...pulls, "failed=0", 'for pid in $pids; do wait "$pid" || failed=1; done', 'exit "$failed"'].join("\n").concat("\n");
}

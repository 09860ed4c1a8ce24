// Opens SSH to the stack's servers for this CI runner's address while a deploy runs, and
// closes it after: a Hetzner firewall of its own, applied by label selector to every server
// of the stack (label orion-stack=<prefix>, set by the program), servers created during the
// run included. The stack's own firewalls stay as Pulumi manages them; Hetzner allows what
// any applied firewall allows. Each server sets ignoreRemoteFirewallIds, so Pulumi never
// detaches this one.
//
//   node .github/scripts/ci-ssh-access.mjs open  --prefix orion-prod
//   node .github/scripts/ci-ssh-access.mjs close --prefix orion-prod
//
// Environment: HCLOUD_TOKEN (read-write), HCLOUD_ENDPOINT (default Hetzner's API, as the
// hcloud CLI and the provider read it), ORION_RUNNER_IP (else asked of ORION_IP_ECHO_URLS),
// GITHUB_RUN_ID (names the firewall).
const API = (process.env.HCLOUD_ENDPOINT ?? "https://api.hetzner.cloud/v1").replace(/\/$/, "");
const ECHO_URLS = (process.env.ORION_IP_ECHO_URLS ?? "https://api.ipify.org https://ipv4.icanhazip.com")
  .split(/\s+/)
  .filter(Boolean);
const CI_LABEL = "orion-ci-for";

function fail(message) {
  console.error(`ci-ssh-access: ${message}`);
  process.exit(1);
}

const [action, ...rest] = process.argv.slice(2);
const prefixAt = rest.indexOf("--prefix");
const prefix = prefixAt >= 0 ? rest[prefixAt + 1] : undefined;
if (!["open", "close"].includes(action) || !prefix)
  fail("usage: ci-ssh-access.mjs open|close --prefix <orion:namePrefix of the stack>");
if (!process.env.HCLOUD_TOKEN) fail("HCLOUD_TOKEN is not set");
const selector = `orion-stack=${prefix}`;

async function api(method, path, body) {
  const response = await fetch(`${API}${path}`, {
    method,
    headers: { Authorization: `Bearer ${process.env.HCLOUD_TOKEN}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) fail(`${method} ${path} answered ${response.status}: ${text}`);
  return text ? JSON.parse(text) : {};
}

/** Hetzner applies and removes firewalls as actions; wait until each has finished. */
async function waitFor(actions) {
  for (const action of actions ?? []) {
    for (let i = 0; ; i++) {
      const { action: now } = await api("GET", `/actions/${action.id}`);
      if (now.status === "success") break;
      if (now.status === "error") fail(`action ${now.command} ${action.id} failed: ${JSON.stringify(now.error)}`);
      if (i >= 120) fail(`action ${action.command} ${action.id} still running after 2 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

async function runnerAddress() {
  if (process.env.ORION_RUNNER_IP) return process.env.ORION_RUNNER_IP.trim();
  for (const url of ECHO_URLS) {
    try {
      const response = await fetch(url);
      const ip = (await response.text()).trim();
      if (response.ok && /^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return ip;
    } catch {
      // the next one
    }
  }
  return fail(`could not learn this runner's public IPv4 address from ${ECHO_URLS.join(", ")}; set ORION_RUNNER_IP`);
}

/** Removes every CI firewall of this stack: the current run's, and any a cancelled run left. */
async function close() {
  const { firewalls } = await api("GET", `/firewalls?label_selector=${encodeURIComponent(`${CI_LABEL}=${prefix}`)}`);
  for (const firewall of firewalls) {
    if (firewall.applied_to.length > 0) {
      const { actions } = await api("POST", `/firewalls/${firewall.id}/actions/remove_from_resources`, {
        remove_from: [{ type: "label_selector", label_selector: { selector } }],
      });
      await waitFor(actions);
    }
    await api("DELETE", `/firewalls/${firewall.id}`);
    console.log(`ci-ssh-access: closed SSH (removed firewall ${firewall.name})`);
  }
}

async function open() {
  await close();
  const ip = await runnerAddress();
  const { firewall, actions } = await api("POST", "/firewalls", {
    name: `${prefix}-ci-${process.env.GITHUB_RUN_ID ?? Date.now()}`,
    labels: { [CI_LABEL]: prefix },
    rules: [
      {
        direction: "in",
        protocol: "tcp",
        port: "22",
        source_ips: [`${ip}/32`],
        description: "SSH from the CI runner for one deploy",
      },
    ],
    apply_to: [{ type: "label_selector", label_selector: { selector } }],
  });
  await waitFor(actions);
  console.log(`ci-ssh-access: opened SSH from ${ip}/32 to servers with ${selector} (firewall ${firewall.name})`);
}

await (action === "open" ? open() : close());

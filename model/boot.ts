/**
 * How long `pulumi up` waits for a server, and why. Two waits follow a
 * server's creation: SSH must answer (the machine boots), then cloud-init
 * must finish (packages, the deploy user and its keys, Docker).
 *
 * Figures from measured boots reported in public:
 * - Ubuntu 24.04 on Hetzner is up about 11 s after the kernel starts ("The
 *   system is up, after 10.66 seconds", a journal quoted in
 *   hetznercloud/terraform-provider-hcloud issue 1074);
 * - systemd-networkd-wait-online sometimes holds a Hetzner VM for its full
 *   2-minute timeout before the network (and SSH) is up (frappe/press pull
 *   request 6818, raising its SSH wait for that reason);
 * - cloud-init on a fresh Hetzner server, with apt updates and installs,
 *   takes 5 to 10 minutes (atvirokodosprendimai/wgmesh pull request 297,
 *   which raised its wait to 15 minutes).
 * The budgets below are those upper figures with a margin; a server that
 * misses them is broken, not slow.
 */
export const BOOT_BUDGET_SECONDS = 180;
export const CLOUD_INIT_BUDGET_SECONDS = 20 * 60;

/**
 * pulumi-command's SSH dial retries (v1.2.1 provider/pkg/provider/remote/
 * connection.go:150-187, 245-255): it gives up after `dialErrorLimit` failed
 * dials, sleeping between them as pulumi/pulumi's retry.Until does
 * (sdk/go/common/util/retry/until.go: 100 ms, times 1.5 each time, at most 5 s).
 * A dial that is refused returns at once, so the sleeps alone are the least
 * time the retries cover.
 */
export const RETRY_FIRST_DELAY_SECONDS = 0.1;
export const RETRY_BACKOFF = 1.5;
export const RETRY_MAX_DELAY_SECONDS = 5;

/** The least time `limit` failed dials take: the sleeps between them. */
export function dialRetrySeconds(limit: number): number {
  let delay = RETRY_FIRST_DELAY_SECONDS;
  let total = 0;
  for (let i = 0; i < limit; i++) {
    total += Math.min(delay, RETRY_MAX_DELAY_SECONDS);
    delay *= RETRY_BACKOFF;
  }
  return total;
}

/** The smallest `dialErrorLimit` whose retries last at least `seconds`. */
export function dialErrorLimitFor(seconds: number): number {
  let limit = 1;
  while (dialRetrySeconds(limit) < seconds) limit++;
  return limit;
}

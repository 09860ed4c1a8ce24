/**
 * How fast a starting container is found healthy. Docker Engine probes a
 * container every `start_interval` while it starts (until it is healthy or
 * `start_period` is over), then every `interval`; without a start interval the
 * first probe comes one `interval` after the start, and `docker compose up
 * --wait` waits that long even for a service that answered at once.
 *
 * Engine 25 (API 1.44) brought `start_interval` (moby daemon/health.go,
 * "Add health start interval", first released in v25.0.0). Older engines do
 * not know it, and Compose from 2.24.0 to 5.0.1 refuses a file that sets it
 * when the engine is older ("can't set healthcheck.start_interval as feature
 * require Docker Engine v25 or later", docker/compose pkg/compose/convert.go,
 * checked here against Debian 12's Engine 20.10 with Compose 2.26); Compose
 * 1.29 rejects the key outright. The servers run Ubuntu 24.04's docker.io,
 * which Ubuntu keeps on a current upstream release (its Docker SRU
 * exception), so they have it; an older engine, such as Debian 12's 20.10 on
 * the test bed, gets the file without it and probes every `interval` as before.
 */

/** The probe cadence while a service starts: a second, so that the deploy waits for the service, not for the clock. */
export const START_INTERVAL = "1s";

/** The engine API version that takes `start_interval` (Docker Engine 25). */
export const START_INTERVAL_MIN_API_MINOR = 44;

/**
 * A line of the deploy script: on an engine before 25, remove the
 * `start_interval` keys from the compose file so that Compose accepts it there.
 */
export function dropStartIntervalOnOldEngines(composeFile: "compose.yaml"): string {
  return `if [ "$(docker version --format '{{.Server.APIVersion}}' | cut -d. -f2)" -lt ${START_INTERVAL_MIN_API_MINOR} ]; then sed -i '/^ *start_interval: /d' ${composeFile}; fi`;
}

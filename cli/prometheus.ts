/** A Prometheus server's HTTP API, for instant queries. */
export class PrometheusUnreachable extends Error {}

export class PrometheusQueryError extends Error {}

export async function instantQuery(
  baseUrl: string,
  promql: string,
  at?: Date,
): Promise<{ labels: Record<string, string>; value: number }[]> {
  const url = new URL("/api/v1/query", baseUrl);
  url.searchParams.set("query", promql);
  if (at) url.searchParams.set("time", String(at.getTime() / 1000));
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new PrometheusUnreachable(
      `cannot reach Prometheus at ${baseUrl}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
    );
  }
  const body = (await response.json().catch(() => undefined)) as
    | {
        status?: string;
        error?: string;
        data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
      }
    | undefined;
  if (!response.ok || body?.status !== "success" || !body.data) {
    if (response.status === 404 || body === undefined)
      throw new PrometheusUnreachable(`${baseUrl} answered ${response.status} and is not a Prometheus API`);
    throw new PrometheusQueryError(`Prometheus at ${baseUrl} refused ${promql}: ${body?.error ?? response.status}`);
  }
  return body.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
}

import autocannon from 'autocannon';

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
}

/** One tools/call (echo) as an MCP client sends it over Streamable HTTP. */
export const ECHO_BODY = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'echo', arguments: { text: 'bench' } },
});

export const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-06-18',
};

/**
 * Runs autocannon against the endpoint. Bounded by time and by a request count; any error, timeout or
 * non-2xx answer fails the benchmark, since a figure that includes refusals measures something else.
 */
export function load(
  url: string,
  headers: Record<string, string>,
  options: LoadOptions,
): Promise<LoadResult> {
  return loadRequest(url, { headers: { ...MCP_HEADERS, ...headers }, body: ECHO_BODY }, options);
}

export interface LoadOptions {
  seconds: number;
  connections: number;
  maxRequests: number;
  /**
   * Requests per second over all connections; unset, as fast as the server answers. Latency is
   * compared at a fixed rate below saturation: at full speed a server's latency is its queue.
   */
  rate?: number;
}

/** The same for any POST request. */
export async function loadRequest(
  url: string,
  request: { headers: Record<string, string>; body: string },
  options: LoadOptions,
): Promise<LoadResult> {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: request.headers,
    body: request.body,
    connections: options.connections,
    duration: options.seconds,
    maxOverallRequests: options.maxRequests,
    ...(options.rate !== undefined && { overallRate: options.rate }),
    timeout: 10,
  });
  if (result.errors || result.timeouts || result.non2xx) {
    throw new Error(
      `load run against ${url} had ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers`,
    );
  }
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
  };
}

/**
 * Whether two resource indicators (RFC 8707) name the same resource: compared as parsed URLs, so
 * the authorization and token endpoints agree on `http://LOCALHOST:8080/mcp` and
 * `http://localhost:8080/mcp`. A value with a fragment or that is not an absolute URI names nothing.
 */
export function sameResource(a: string, b: string): boolean {
  if (a.includes('#') || b.includes('#')) return false;
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return false;
  }
}

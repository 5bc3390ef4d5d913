import ipaddr from 'ipaddr.js';

/**
 * Which resolved addresses an outbound fetch may connect to. The classification is ipaddr.js's
 * (its `range()` follows the IANA special-purpose registries, RFC 6890): only `unicast`, the public
 * address space, is allowed. Everything else (loopback, RFC 1918, unique-local, link-local with the
 * cloud metadata address, multicast, CGNAT, reserved, documentation, 6to4/Teredo/NAT64 and
 * IPv4-mapped IPv6, which would smuggle a private IPv4 address inside an IPv6 one) is refused.
 */
export interface AddressPolicy {
  /**
   * Development and tests: also allow loopback and private (RFC 1918, unique-local) addresses.
   * Link-local stays refused even then: it holds cloud metadata services.
   */
  allowPrivateNetwork: boolean;
}

const PRIVATE_NETWORK_RANGES = new Set(['loopback', 'private', 'uniqueLocal']);

/** The ipaddr.js range name of an address, or undefined when it is not an IP address at all. */
export function addressRange(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return undefined;
  return ipaddr.parse(address).range();
}

/**
 * Why an address is refused, or undefined when it is allowed. Only canonical IP literals are
 * classified (ipaddr.js would read "0x7f.1" or "2130706433" as an address; the URL parser has
 * already turned such host spellings into dotted quads, and a resolver answers canonically).
 */
export function refusedAddress(address: string, policy: AddressPolicy): string | undefined {
  const range = ipaddr.isValid(address) && isCanonical(address) ? addressRange(address) : undefined;
  if (range === undefined) return `"${address}" is not an IP address`;
  if (range === 'unicast') return undefined;
  if (policy.allowPrivateNetwork && PRIVATE_NETWORK_RANGES.has(range)) return undefined;
  return `${address} is a ${range} address`;
}

/** Dotted-quad IPv4 or any IPv6 text form: the forms resolvers and the URL parser produce. */
function isCanonical(address: string): boolean {
  if (address.includes(':')) return ipaddr.IPv6.isValid(address);
  return ipaddr.IPv4.isValidFourPartDecimal(address);
}

import { describe, expect, it } from 'vitest';
import { refusedAddress } from './address-policy.ts';

const strict = { allowPrivateNetwork: false };
const dev = { allowPrivateNetwork: true };

describe('refusedAddress', () => {
  it.each([
    ['93.184.215.14', 'public IPv4'],
    ['2606:2800:21f:cb07:6820:80da:af6b:8b2c', 'public IPv6'],
  ])('allows %s (%s)', (address) => {
    expect(refusedAddress(address, strict)).toBeUndefined();
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['169.254.169.254', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['224.0.0.251', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['::ffff:127.0.0.1', 'ipv4Mapped'],
    ['::ffff:93.184.215.14', 'ipv4Mapped'],
    ['64:ff9b::a00:1', 'rfc6052'],
    ['2002:a00:1::', '6to4'],
    ['2001:0:4136:e378::1', 'teredo'],
    ['2001:db8::1', 'reserved'],
  ])('refuses %s (%s)', (address, range) => {
    expect(refusedAddress(address, strict)).toBe(`${address} is a ${range} address`);
  });

  it.each(['2130706433', '0x7f000001', '0x7f.1', '017700000001', '127.1', 'localhost', ''])(
    'refuses the non-canonical or non-address form "%s"',
    (address) => {
      expect(refusedAddress(address, strict)).toMatch(/is not an IP address/);
    },
  );

  it('lets loopback and private networks through only when allowed, never link-local', () => {
    for (const address of ['127.0.0.1', '::1', '10.0.0.1', '192.168.0.10', 'fd00::1']) {
      expect(refusedAddress(address, dev)).toBeUndefined();
    }
    for (const address of ['169.254.169.254', 'fe80::1', '224.0.0.1', '::ffff:127.0.0.1', '100.64.0.1']) {
      expect(refusedAddress(address, dev)).toBeDefined();
    }
  });
});

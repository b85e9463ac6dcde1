import { isIPv4, isIPv6 } from 'node:net';

/** `localhost` (RFC 6761 §6.3), 127.0.0.0/8 or ::1: a name or address of this machine alone. */
export function isLoopbackHostname(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || isLoopbackAddress(bare);
}

/** A loopback IP address, IPv4-mapped IPv6 (`::ffff:127.0.0.1`) included. */
export function isLoopbackAddress(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIPv4(v4)) return v4.startsWith('127.');
  if (!isIPv6(address)) return false;
  const literal = `http://[${address}]`;
  return URL.canParse(literal) && new URL(literal).hostname === '[::1]';
}

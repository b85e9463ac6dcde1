/**
 * The `Authorization` header value of a confidential client's HTTP Basic authentication.
 *
 * RFC 6749 §2.3.1: the client id and secret are each encoded with the
 * `application/x-www-form-urlencoded` algorithm (Appendix B) before being joined with ":" and
 * base64-encoded, so a space is "+" and ":", "+", "%" are escaped. `URLSearchParams` implements
 * that algorithm. Appendix A.1/A.2 allow only VSCHARs (%x20-7E) in either.
 */
export function clientBasicAuth(clientId: string, clientSecret: string): string {
  const enc = (s: string) => new URLSearchParams([['', s]]).toString().slice(1);
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(clientSecret)}`).toString('base64')}`;
}

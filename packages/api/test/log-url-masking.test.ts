import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, safeUrl } from '../src/http/logger.js';

/** The lines a logger made by `createLogger` writes, parsed. */
function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger('info', stream) };
}

describe('request URLs in the log', () => {
  it('masks a credential parameter however its name is written: escaped, in any case', async () => {
    const { lines, logger } = capture();
    // A query parser reads `access%5Ftoken` as access_token (RFC 3986 §2.1): the same token.
    const url =
      '/me?access%5Ftoken=secret-one&Access_Token=secret-two&%63ode=secret-three&page=2&CLIENT%5fSECRET=secret-four';
    logger.info({ req: { method: 'GET', url } }, 'request');
    await new Promise((resolve) => setImmediate(resolve));
    const line = JSON.parse(lines.join('')) as { req: { url: string } };
    expect(line.req.url).toBe(
      '/me?access%5Ftoken=[redacted]&Access_Token=[redacted]&%63ode=[redacted]&page=2&CLIENT%5fSECRET=[redacted]',
    );
    expect(lines.join('')).not.toMatch(/secret-/);
  });

  it('masks the value behind a name that cannot be decoded, without throwing', () => {
    // `%E0%A4%A` is a truncated escape: decodeURIComponent throws on it. Fail closed: mask.
    expect(safeUrl('/todos?access%E0%A4%A=secret&q=%ZZ&limit=5')).toBe(
      '/todos?access%E0%A4%A=[redacted]&q=%ZZ&limit=5',
    );
  });

  it('leaves other parameters, the path and the fragment as they are', () => {
    expect(safeUrl('/lists/a%5Fb?cursor=abc&code_challenge=x#code=y')).toBe(
      '/lists/a%5Fb?cursor=abc&code_challenge=x#code=y',
    );
    expect(safeUrl('/me?code=abc#frag')).toBe('/me?code=[redacted]#frag');
    expect(safeUrl('/me')).toBe('/me');
    expect(safeUrl(undefined)).toBeUndefined();
  });
});

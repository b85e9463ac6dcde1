import { open } from 'node:fs/promises';
import type { CommandContext } from '../command.js';
import { CliError } from '../errors.js';

/** More than any access token: a file or input this long is not one (and is not read on). */
const MAX_TOKEN_BYTES = 64 * 1024;

/** At most `MAX_TOKEN_BYTES + 1` bytes of a stream: enough to tell a token from anything larger. */
async function readBounded(chunks: AsyncIterable<Uint8Array | string>): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    const part = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
    parts.push(part);
    size += part.length;
    if (size > MAX_TOKEN_BYTES) break;
  }
  return Buffer.concat(parts);
}

/** The first `MAX_TOKEN_BYTES + 1` bytes of a file; a missing or unreadable one is a usage error. */
async function readFileBounded(path: string): Promise<Buffer> {
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, 'r');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new CliError('usage', `--token-file ${path} cannot be read (${reason})`);
  }
  try {
    return await readBounded(file.createReadStream({ end: MAX_TOKEN_BYTES }));
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new CliError('usage', `--token-file ${path} cannot be read (${reason})`);
  } finally {
    await file.close().catch(() => {});
  }
}

/**
 * The token in what was read: the content without surrounding whitespace (a trailing newline).
 * A token has no whitespace inside (RFC 6750 §2.1 `b64token`), so content that does is not one
 * token; the errors never repeat the content.
 */
function tokenOf(content: Buffer, source: string): string {
  if (content.length > MAX_TOKEN_BYTES)
    throw new CliError('usage', `${source} holds more than ${MAX_TOKEN_BYTES} bytes: not a token`);
  const token = content.toString('utf8').trim();
  if (token === '') throw new CliError('usage', `${source} holds no token`);
  if (/\s/.test(token))
    throw new CliError('usage', `${source} must hold one token alone (no spaces or lines)`);
  return token;
}

/**
 * The token `todo doctor` is given to check, if any: `--token-file PATH` or `--token -`
 * (standard input), which keep it out of shell history and of the process list, or
 * `--token VALUE` (kept working, but visible to `ps` and saved in shell history).
 */
export async function givenToken(ctx: CommandContext): Promise<string | undefined> {
  const value = ctx.values.token as string | undefined;
  const path = ctx.values['token-file'] as string | undefined;
  if (value !== undefined && path !== undefined)
    throw new CliError('usage', '--token and --token-file exclude each other');
  if (path !== undefined) return tokenOf(await readFileBounded(path), `--token-file ${path}`);
  if (value !== '-') return value;
  if (ctx.io.stdin === undefined)
    throw new CliError('usage', 'No standard input to read --token - from');
  return tokenOf(await readBounded(ctx.io.stdin), 'Standard input');
}

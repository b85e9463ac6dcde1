import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningIdp, startIdp } from '@todo-sso/idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../idp/test/seed-keys.js';
import { passwordGrant } from './support/stack.js';

/**
 * `todo doctor` given a token without it being an argument: `--token-file PATH` and `--token -`
 * (standard input), so it stays out of shell history and of `ps`. The real binary, as a separate
 * process, against the real dev IdP; `--token VALUE` keeps working.
 */
const bin = fileURLToPath(new URL('../bin/todo.js', import.meta.url));

interface Result {
  code: number;
  out: string;
  err: string;
}

/** Runs the `todo` binary with `args`, writing `input` to its standard input (never blocking). */
function todo(env: Record<string, string>, args: string[], input?: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    const timer = setTimeout(() => child.kill(), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out, err });
    });
    child.stdin.end(input ?? '');
  });
}

describe('todo doctor reads the token from a file or standard input', () => {
  let idp: RunningIdp;
  let dir: string;
  let token: string;
  let refreshToken: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'todo-doctor-input-'));
    idp = await startIdp({ host: '127.0.0.1', port: 0, dataDir: seedKeys(join(dir, 'idp')) });
    ({ access_token: token, refresh_token: refreshToken } = await passwordGrant(idp.issuer));
    env = { TODO_CONFIG_DIR: join(dir, 'config'), OIDC_ISSUER: idp.issuer };
  });
  afterAll(async () => {
    await idp?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Fails if the run printed the token (or a recognisable part of it) anywhere. */
  const expectNoToken = (result: Result, secret = token) => {
    const printed = `${result.out}\n${result.err}`;
    expect(printed).not.toContain(secret.split('.').slice(1).join('.'));
    expect(printed).not.toContain(secret.slice(-16));
  };

  const accepted = /token {5}accepted for alice \(permissions: todos:read, todos:write\)/;

  it('checks a token read from --token-file PATH (a trailing newline is fine)', async () => {
    const path = join(dir, 'token');
    await writeFile(path, `${token}\n`, { mode: 0o600 });
    const result = await todo(env, ['doctor', '--token-file', path]);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(accepted);
    expectNoToken(result);
  });

  it('checks a token read from standard input with --token -', async () => {
    const result = await todo(env, ['doctor', '--token', '-'], `${token}\n`);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(accepted);
    expectNoToken(result);
    const json = await todo(env, ['doctor', '--token', '-', '--json'], token);
    expect(JSON.parse(json.out).token).toMatchObject({ accepted: true, username: 'alice' });
    expectNoToken(json);
  });

  it('diagnoses a wrong token from a file like one from the command line, printing neither', async () => {
    const path = join(dir, 'refresh');
    await writeFile(path, refreshToken, { mode: 0o600 });
    const fromFile = await todo(env, ['doctor', '--token-file', path]);
    const fromArgument = await todo(env, ['doctor', '--token', refreshToken]);
    expect(fromFile.code).toBe(1);
    expect(fromFile.out).toMatch(/token {5}refused: /);
    // The same diagnosis (the measured clock skew aside, which may move by a second).
    const verdict = (out: string) => out.replace(/^ {2}clock .*$/m, '');
    expect(verdict(fromFile.out)).toBe(verdict(fromArgument.out));
    expectNoToken(fromFile, refreshToken);
    expectNoToken(fromArgument, refreshToken);
  });

  it('refuses a missing, empty, unreadable or multi-token input with a usage error (exit 2), never echoing it', async () => {
    const empty = join(dir, 'empty');
    await writeFile(empty, '\n');
    const two = join(dir, 'two');
    await writeFile(two, `${token}\n${token}\n`);
    const locked = join(dir, 'locked');
    await writeFile(locked, token);
    await chmod(locked, 0o000);
    const runs: [string[], string | undefined, RegExp][] = [
      [
        ['--token-file', join(dir, 'nowhere')],
        undefined,
        /--token-file .*nowhere cannot be read \(ENOENT\)/,
      ],
      [['--token-file', empty], undefined, /--token-file .*empty holds no token/],
      [['--token-file', two], undefined, /must hold one token alone/],
      [['--token', '-'], '', /Standard input holds no token/],
      [['--token', '-'], `${token} ${token}`, /Standard input must hold one token alone/],
      [
        ['--token', token, '--token-file', empty],
        undefined,
        /--token and --token-file exclude each other/,
      ],
      [['--token-file', empty, '--login'], undefined, /exclude each other/],
    ];
    // Root reads any file: the unreadable case holds only for other users.
    if (process.getuid?.() !== 0)
      runs.push([['--token-file', locked], undefined, /locked cannot be read \(EACCES\)/]);
    for (const [args, input, message] of runs) {
      const result = await todo(env, ['doctor', ...args], input);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.err, args.join(' ')).toMatch(message);
      expectNoToken(result);
    }
  });

  it('reads the token input before the API configuration, so its error is the one reported', async () => {
    const result = await todo({ ...env, OIDC_ISSUER: 'not a url' }, [
      'doctor',
      '--token-file',
      join(dir, 'nowhere'),
    ]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/--token-file .*nowhere cannot be read \(ENOENT\)/);
    expect(result.err).not.toContain('configuration');
    // The same configuration with a readable token is refused for what it is.
    const path = join(dir, 'token');
    await writeFile(path, token, { mode: 0o600 });
    const invalid = await todo({ ...env, OIDC_ISSUER: 'not a url' }, [
      'doctor',
      '--token-file',
      path,
    ]);
    expect(invalid.code).toBe(2);
    expect(invalid.err).toMatch(/The API configuration is invalid: OIDC_ISSUER: /);
    expectNoToken(invalid);
  });

  it('says in --help that the file and standard-input forms are preferred', async () => {
    const result = await todo(env, ['doctor', '--help']);
    expect(result.code).toBe(0);
    expect(result.out).toContain('--token-file PATH | --token - | --token TOKEN');
    expect(result.out).toMatch(
      /prefer --token-file PATH or --token - .*shell history.*process list/,
    );
  });
});

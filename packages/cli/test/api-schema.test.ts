import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const cli = fileURLToPath(new URL('..', import.meta.url));
const spec = join(cli, '../api/openapi.json');
const committed = join(cli, 'src/api/schema.gen.ts');

test('src/api/schema.gen.ts matches packages/api/openapi.json (run npm run gen:api -w @todo-sso/cli)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-schema-'));
  try {
    const fresh = join(dir, 'schema.gen.ts');
    execFileSync(
      process.execPath,
      [join(cli, '../../node_modules/openapi-typescript/bin/cli.js'), spec, '-o', fresh],
      { cwd: cli, stdio: 'pipe' },
    );
    expect(readFileSync(committed, 'utf8')).toBe(readFileSync(fresh, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

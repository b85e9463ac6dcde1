// @vitest-environment node
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const web = fileURLToPath(new URL('..', import.meta.url));
const spec = join(web, '../api/openapi.json');
const committed = join(web, 'src/api/schema.gen.ts');

test('src/api/schema.gen.ts matches packages/api/openapi.json (run npm run gen:api -w @todo-sso/web)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'web-schema-'));
  try {
    const fresh = join(dir, 'schema.gen.ts');
    execFileSync(
      process.execPath,
      [join(web, '../../node_modules/openapi-typescript/bin/cli.js'), spec, '-o', fresh],
      { cwd: web, stdio: 'pipe' },
    );
    expect(readFileSync(committed, 'utf8')).toBe(readFileSync(fresh, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

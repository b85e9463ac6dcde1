import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

it('loading the identity provider prints no "Unsupported runtime" line on a tested Node', () => {
  const loaded = spawnSync(process.execPath, ['-e', `import(${JSON.stringify(dist)})`], {
    encoding: 'utf8',
  });
  expect(loaded.status).toBe(0);
  expect(loaded.stderr).not.toContain('Unsupported runtime');
  // The CLI entry (npm run idp / npm start) silences it too; a bad port makes it exit at once.
  const started = spawnSync(process.execPath, [cli], {
    encoding: 'utf8',
    env: { ...process.env, PORT: 'not-a-port' },
    timeout: 20_000,
  });
  expect(started.stderr).not.toContain('Unsupported runtime');
});

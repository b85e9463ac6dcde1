// The dev IdP in a process of its own for the introspection benchmark.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './proc.mjs';

const { startIdp } = await import(pathToFileURL(join(ROOT, 'packages/idp/dist/index.js')).href);
const port = Number(process.env.BENCH_IDP_PORT);
const idp = await startIdp({
  host: '127.0.0.1',
  port,
  publicUrl: `http://127.0.0.1:${port}`,
  dataDir: process.env.BENCH_IDP_DATA,
});
process.stdout.write(`idp ${idp.issuer}\n`);
process.once('SIGTERM', () => idp.close().then(() => process.exit(0)));

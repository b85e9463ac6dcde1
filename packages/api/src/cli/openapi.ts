/** `npm run openapi -w @todo-sso/api`: writes `packages/api/openapi.json`. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateOpenApi, serializeOpenApi } from '../openapi-document.js';

const target = fileURLToPath(new URL('../../openapi.json', import.meta.url));
writeFileSync(target, serializeOpenApi(await generateOpenApi()));
process.stdout.write(`wrote ${target}\n`);

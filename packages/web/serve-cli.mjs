// `npm start -w @todo-sso/web`: the production build alone, configured by the environment
// (WEB_HOST, WEB_PORT, OIDC_ISSUER, OIDC_CLIENT_ID, API_URL; development defaults;
// WEB_CONNECT_ORIGINS, a comma list, for a provider whose token endpoint is on another origin).
import { fileURLToPath } from 'node:url';
import { startWebServer } from './serve.mjs';

const web = await startWebServer({
  host: process.env.WEB_HOST ?? 'localhost',
  port: Number(process.env.WEB_PORT ?? process.env.PORT ?? 3000),
  distDir: fileURLToPath(new URL('./dist', import.meta.url)),
  config: {
    issuer: process.env.OIDC_ISSUER ?? 'http://localhost:8080/realms/todo-app',
    clientId: process.env.OIDC_CLIENT_ID ?? 'todo-ui',
    apiUrl: process.env.API_URL ?? 'http://localhost:8000',
  },
  connectOrigins: (process.env.WEB_CONNECT_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean),
});
console.log(`web app on ${web.url}`);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => void web.close().then(() => process.exit(0)));
}

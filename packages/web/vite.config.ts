import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * The part of the Content-Security-Policy that does not depend on where the app is deployed,
 * as a `<meta>` in the built `index.html`, so that a host sending no headers (a plain static
 * host, a misconfigured proxy) still runs no inline or foreign script (CSP Level 3 §3.3). The
 * servers (`serve.mjs`, the nginx image) send the whole policy as a header: the same directives
 * plus `default-src`, `connect-src` and `form-action` (the issuer and API are known only at
 * run time) and `frame-ancestors` (ignored in a `<meta>`); the browser enforces both, and this
 * one allows nothing the header does not. Builds only: the dev server's React refresh preamble
 * is an inline script.
 */
export const BUILT_PAGE_POLICY = [
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "frame-src 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

function builtPagePolicy(): Plugin {
  return {
    name: 'todo-sso-built-page-policy',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: BUILT_PAGE_POLICY },
        injectTo: 'head-prepend',
      },
    ],
  };
}

export default defineConfig({
  plugins: [react(), builtPagePolicy()],
  server: { port: 3000, strictPort: true, host: 'localhost' },
  preview: { port: 3000, strictPort: true, host: 'localhost' },
});

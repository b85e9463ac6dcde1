import type { IncomingMessage, ServerResponse } from 'node:http';
import { send } from '../http/io.js';

/**
 * keycloak-js loads two helper pages from Keycloak. The dev IdP answers them so that the adapter
 * initializes: the third-party-cookie check reports "unsupported" (keycloak-js then skips its
 * session iframe), and the session iframe itself reports every check as "unchanged".
 */
export function keycloakIframes(rel: string, req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'GET') return false;
  const oidc = '/protocol/openid-connect';
  if (rel === `${oidc}/3p-cookies/step1.html` || rel === `${oidc}/3p-cookies/step2.html`) {
    send(
      res,
      200,
      '<!doctype html><script>window.parent.postMessage("unsupported", "*")</script>',
      undefined,
      { frameable: true },
    );
    return true;
  }
  if (rel === `${oidc}/login-status-iframe.html`) {
    send(
      res,
      200,
      '<!doctype html><script>window.addEventListener("message",function(e){e.source.postMessage("unchanged",e.origin)})</script>',
      undefined,
      { frameable: true },
    );
    return true;
  }
  return false;
}

/** Routes that need no access token (the logout receiver authenticates its logout token). */
export const PUBLIC_ROUTES = [
  'GET /healthz',
  'GET /readyz',
  'GET /metrics',
  'GET /openapi.json',
  'GET /.well-known/authzen-configuration',
  'GET /.well-known/oauth-protected-resource',
  'GET /.well-known/oauth-protected-resource/mcp',
  'POST /auth/backchannel-logout',
] as const;

/** Routes that need no access token (the logout receiver authenticates its logout token). */
export const PUBLIC_ROUTES = [
  'GET /healthz',
  'GET /readyz',
  'GET /metrics',
  'GET /openapi.json',
  'POST /auth/backchannel-logout',
] as const;

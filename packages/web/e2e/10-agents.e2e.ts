import { request as playwrightRequest } from '@playwright/test';
import { agentSignIn, listAgentToo } from './support/agent.js';
import {
  apiGet,
  expect,
  screenshot,
  signIn,
  skipWithoutChromium,
  test,
} from './support/fixtures.js';

skipWithoutChromium();

test("alice sees the agent she allowed on her account screen, revokes it, and its token's next call is refused within a second", async ({
  page,
  urls,
  request,
}) => {
  // The agent: its own HTTP client (its own cookies), registered and signed in over HTTP.
  const agentHttp = await playwrightRequest.newContext();
  const agent = await agentSignIn(agentHttp, urls, 'alice', 'Shopping assistant');
  await agentHttp.dispose();
  expect((await apiGet(request, urls, '/todos/', agent.accessToken)).status()).toBe(200);

  await signIn(page, urls, 'alice');
  await page.getByTestId('account-link').click();
  await expect(page).toHaveURL(`${urls.web}/account`);
  await expect(page.getByRole('heading', { name: 'Agents you allowed' })).toBeVisible();
  const row = page.getByTestId('agent-row').filter({ hasText: agent.clientId });
  await expect(row).toBeVisible();
  await expect(row.locator('time')).toHaveCount(2);
  await screenshot(page, 'account-agents');

  await row.getByRole('button', { name: `Revoke ${agent.clientId}` }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Confirm ending the agent' });
  await expect(dialog).toContainText(agent.clientId);
  // Cancel leaves it alone.
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toHaveCount(0);
  expect((await apiGet(request, urls, '/todos/', agent.accessToken)).status()).toBe(200);

  await row.getByRole('button', { name: `Revoke ${agent.clientId}` }).click();
  await dialog.getByRole('button', { name: 'End access' }).click();
  // The second starts when the page confirms the revocation, not when the button is clicked:
  // the page's own round trip and rendering are not the API's propagation delay.
  await expect(page.getByRole('status')).toContainText('can no longer act for you');
  const confirmed = Date.now();

  // The agent's unexpired token: refused within a second of the confirmation, at the REST
  // routes and at /mcp alike. The second is counted to when the refused call was sent: how
  // long the call itself takes on a busy machine is not the API's propagation delay either.
  let sent = Date.now();
  let response = await apiGet(request, urls, '/todos/', agent.accessToken);
  while (response.status() !== 401 && Date.now() - confirmed < 1000) {
    await new Promise((r) => setTimeout(r, 50));
    sent = Date.now();
    response = await apiGet(request, urls, '/todos/', agent.accessToken);
  }
  expect(response.status()).toBe(401);
  expect(sent - confirmed).toBeLessThan(1000);
  expect(((await response.json()) as { code?: string }).code).toBe('token_revoked');
  await expect(page.getByRole('status')).toContainText('refresh tokens no longer work');
  await expect(page.getByTestId('agent-row').filter({ hasText: agent.clientId })).toHaveCount(0);
  const mcp = await request.post(`${urls.api}/mcp`, {
    headers: {
      Authorization: `Bearer ${agent.accessToken}`,
      Accept: 'application/json, text/event-stream',
    },
    data: { jsonrpc: '2.0', id: 1, method: 'tools/list' },
  });
  expect(mcp.status()).toBe(401);
  // Its grant ended at the identity provider: the refresh token brings nothing back.
  const refreshed = await request.post(`${urls.issuer}/protocol/openid-connect/token`, {
    form: {
      grant_type: 'refresh_token',
      client_id: agent.clientId,
      refresh_token: agent.refreshToken,
    },
  });
  expect(refreshed.status()).toBe(400);
  expect(((await refreshed.json()) as { error?: string }).error).toBe('invalid_grant');
  // Alice's own session goes on.
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Agents you allowed' })).toBeVisible();

  // A registered client's id is a random string the provider picks, possibly long and without a
  // hyphen: at 375 px it wraps in the list, in the question and in the outcome, and the page is
  // never wider than the screen. The provider does not let a client choose its id, so the list
  // and the answer to ending it carry one here.
  const longId = `agent${'x7Kq9Zr2'.repeat(16)}`;
  const now = new Date().toISOString();
  await listAgentToo(page, urls, longId);
  await page.route(`${urls.api}/me/agents/${longId}`, (route) =>
    route.fulfill({
      json: {
        clientId: longId,
        notBefore: now,
        identityProvider: { grantEnded: true, detail: 'Its refresh tokens no longer work.' },
      },
    }),
  );
  await page.setViewportSize({ width: 375, height: 800 });
  await page.reload();
  const pageWidth = () => page.evaluate(() => document.documentElement.scrollWidth);
  const longRow = page.getByTestId('agent-row').filter({ hasText: longId });
  await expect(longRow).toBeVisible();
  expect(await pageWidth()).toBeLessThanOrEqual(375);
  await longRow.getByRole('button', { name: `Revoke ${longId}` }).click();
  await expect(dialog).toContainText(longId);
  expect(await pageWidth()).toBeLessThanOrEqual(375);
  await dialog.getByRole('button', { name: 'End access' }).click();
  await expect(page.getByRole('status')).toContainText(`${longId} can no longer act for you`);
  expect(await pageWidth()).toBeLessThanOrEqual(375);
});

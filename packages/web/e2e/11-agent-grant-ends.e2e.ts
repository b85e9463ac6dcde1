import { request as playwrightRequest } from '@playwright/test';
import { agentSignIn } from './support/agent.js';
import { expectAccessible } from './support/axe.js';
import {
  apiGet,
  confirmIdentity,
  createTodo,
  expect,
  passwordToken,
  screenshot,
  signIn,
  skipWithoutChromium,
  test,
  urlsOf,
} from './support/fixtures.js';
import { type RefusingAdmin, refusingAdmin } from './support/refusing-admin.js';
import { type Stack, startStack } from './support/stack.js';

skipWithoutChromium();

/**
 * A stack of its own whose API reaches the provider's admin API through a server that refuses
 * every admin call (the service account without `manage-users`): an agent alice ends stays
 * held, whatever the API's background attempts do meanwhile.
 */
test.describe('an agent grant end the identity provider refuses', () => {
  let stack: Stack;
  let admin: RefusingAdmin;
  test.beforeAll(async () => {
    admin = await refusingAdmin();
    stack = await startStack({ apiEnv: { IDP_ADMIN_URL: admin.adminUrl('todo-app') } });
    admin.forwardTo(new URL(stack.issuer).origin);
  });
  test.afterAll(async () => {
    await stack?.close();
    await admin?.close();
  });

  test('the admin sees the hold, Retry now shows the refusal, and Release with confirmation clears it', async ({
    page,
    request,
  }) => {
    const urls = urlsOf(stack);
    const agentHttp = await playwrightRequest.newContext();
    const agent = await agentSignIn(agentHttp, urls, 'alice', 'Stuck assistant');
    await agentHttp.dispose();
    expect((await apiGet(request, urls, '/todos/', agent.accessToken)).status()).toBe(200);
    const alice = await passwordToken(request, urls, 'alice');
    // A todo makes alice a known owner, whom the admin screens name.
    await createTodo(request, urls, alice, 'Groceries');
    await expect
      .poll(async () => {
        const body = (await (await apiGet(request, urls, '/me/agents', alice)).json()) as {
          items: { clientId: string }[];
        };
        return body.items.map((a) => a.clientId);
      })
      .toContain(agent.clientId);
    const ended = await request.delete(`${urls.api}/me/agents/${agent.clientId}`, {
      headers: { Authorization: `Bearer ${alice}` },
    });
    expect(ended.status()).toBe(200);
    expect(await ended.json()).toMatchObject({ identityProvider: { grantEnded: false } });

    await signIn(page, urls, 'admin');
    await page.goto(`${urls.web}/admin/agents`);
    await confirmIdentity(page, urls);
    await expect(page).toHaveTitle(/Agent grant ends/);
    await expect(page.getByRole('tab', { name: 'Agent grant ends' })).toHaveAttribute(
      'aria-selected',
      'true',
    );
    const row = page.getByTestId('grant-end-row').filter({ hasText: agent.clientId });
    await expect(row.getByTestId('grant-end-person')).toHaveText('alice');
    const refusedBefore = admin.refused;
    const retry = row.getByRole('button', { name: `Retry now: ${agent.clientId} of alice` });
    await retry.click();
    await expect(page.getByText(/^The identity provider refused to end the grant\./)).toBeVisible();
    // The row stays, and so does the focus on its Retry now.
    await expect(retry).toBeFocused();
    expect(admin.refused).toBeGreaterThan(refusedBefore);
    // The row stays, read again with the attempt and the provider's answer (every attempt, the
    // background's too, is refused the same way).
    await expect(row.getByTestId('grant-end-attempts')).toContainText(/^[1-9]\d* failed, last /);
    await expect(row.getByTestId('grant-end-error')).toContainText(
      "refused the API's service account",
    );
    await screenshot(page, 'admin-agent-grant-ends');
    await expectAccessible(page, 'Admin: Agent grant ends, one hold');
    // At 375 px the row is a card: every field on screen, wide enough to read.
    await page.setViewportSize({ width: 375, height: 800 });
    for (const label of ['Person', 'Agent', 'Since', 'Attempts', 'Next attempt', 'Actions']) {
      const box = await row.locator(`[data-label="${label}"]`).boundingBox();
      if (!box) throw new Error(`no ${label} cell`);
      expect(box.x + box.width, label).toBeLessThanOrEqual(375);
      expect(box.width, label).toBeGreaterThan(200);
    }
    await page.setViewportSize({ width: 1280, height: 800 });

    await row.getByRole('button', { name: `Release: ${agent.clientId} of alice` }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Confirm releasing the hold' });
    await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await expectAccessible(page, 'Admin: the question before a release');
    await dialog
      .getByRole('checkbox', { name: "I ended this agent's grant at the identity provider" })
      .check();
    await dialog.getByRole('button', { name: 'Release', exact: true }).click();
    await expect(page.getByText(/released on your confirmation/)).toBeVisible();
    await expect(page.getByText('No hold is pending.')).toBeVisible();

    // The API holds nothing any more.
    const adminToken = await passwordToken(request, urls, 'admin', { otp: true });
    const pending = await apiGet(request, urls, '/admin/agents/grant-ends', adminToken);
    expect(((await pending.json()) as { items: unknown[] }).items).toEqual([]);
  });
});

import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, test } from 'vitest';
import { AdminScreen } from '../src/admin/AdminScreen.js';
import type { GrantEnd } from '../src/admin/grant-ends-api.js';
import { MAX_SHOWN_CHARACTERS } from '../src/ui/shown-text.js';
import { freshPageEachTest } from './support/fresh-page.js';
import { PROVIDER_REFUSAL } from './support/grant-end-routes.js';
import { renderWithApi } from './support/render.js';
import type { RecordedRequest } from './support/todo-server.js';

const api = freshPageEachTest();
const ISSUER = 'http://idp/realms/todo-app';

function pending(clientId: string, over: Partial<GrantEnd> = {}): GrantEnd {
  return {
    issuer: ISSUER,
    sub: 'sub-alice',
    clientId,
    requestedAt: '2026-12-05T07:00:00.000Z',
    attempts: 1,
    attemptedAt: '2026-12-05T07:00:00.000Z',
    lastError: 'The identity provider cannot be reached',
    ...over,
  };
}

beforeEach(() => {
  Object.assign(api.identity, { sub: 'sub-admin', username: 'admin', roles: ['admin'] });
  api.admin.people = [{ issuer: ISSUER, sub: 'sub-alice', username: 'alice' }];
});

/** The admin screen at `/admin/agents`, as the address opens it. */
async function openTab() {
  window.history.replaceState(null, '', '/admin/agents');
  renderWithApi(<AdminScreen />, api.url);
  return screen.findByRole('table', { name: 'Pending agent grant ends' });
}

const posts = (action: 'retry' | 'release'): RecordedRequest[] =>
  api.requests.filter(
    (r) => r.method === 'POST' && r.path === `/admin/agents/grant-ends/${action}`,
  );
/** The outcome, said in a `role="status"` notice (the only status once the list is shown). */
const status = () => screen.findByRole('status');
const rowOf = (clientId: string) =>
  screen.getAllByTestId('grant-end-row').find((row) => row.textContent?.includes(clientId));

describe('the Agent grant ends admin tab', () => {
  test('is a tab of its own for administrators, at /admin/agents, and says when nothing is held', async () => {
    window.history.replaceState(null, '', '/admin/agents');
    renderWithApi(<AdminScreen />, api.url);
    expect(await screen.findByText('No hold is pending.')).toBeTruthy();
    const tab = screen.getByRole('tab', { name: 'Agent grant ends' });
    expect(tab.getAttribute('aria-selected')).toBe('true');
    expect(screen.getByRole('tabpanel').getAttribute('aria-labelledby')).toBe(tab.id);
    expect(screen.queryByRole('table')).toBeNull();
  });

  test('is not offered to a person who manages users without being an administrator', async () => {
    Object.assign(api.identity, { roles: ['user'], permissions: ['users:manage'] });
    window.history.replaceState(null, '', '/admin/agents');
    const { queryClient } = renderWithApi(<AdminScreen />, api.url);
    await waitFor(() => expect(queryClient.getQueryState(['me'])?.status).toBe('success'));
    expect(screen.getByRole('tab', { name: 'Users' }).getAttribute('aria-selected')).toBe('true');
    expect(screen.queryByRole('tab', { name: 'Agent grant ends' })).toBeNull();
    expect(api.requests.some((r) => r.path.startsWith('/admin/agents'))).toBe(false);
  });

  test("lists each hold: the person by name, the agent, issuer, since, attempts and the provider's words as bounded plain text", async () => {
    api.admin.grantEnds = [
      pending('shopping-agent', { attempts: 3, lastError: PROVIDER_REFUSAL }),
      pending('never-tried', {
        sub: 'sub-unknown',
        attempts: 0,
        attemptedAt: null,
        lastError: null,
      }),
    ];
    await openTab();
    const row = rowOf('shopping-agent') as HTMLElement;
    const cell = (label: string) => row.querySelector(`[data-label="${label}"]`) as HTMLElement;
    const part = (id: string, of = row) => of.querySelector(`[data-testid="${id}"]`) as HTMLElement;
    expect(part('grant-end-person').textContent).toBe('alice');
    expect(part('grant-end-person').title).toBe('sub-alice');
    expect(part('grant-end-issuer').textContent).toBe(ISSUER);
    expect(cell('Since').querySelector('time')?.getAttribute('datetime')).toBe(
      '2026-12-05T07:00:00.000Z',
    );
    expect(part('grant-end-attempts').textContent).toMatch(/^3 failed, last /);
    const said = part('grant-end-error');
    expect(said.querySelector('b')).toBeNull();
    expect(said.textContent).toContain('<b>manage-users</b> missing');
    expect(said.textContent).not.toContain('\u202e');
    expect(said.textContent).not.toContain('\u0007');
    expect(Array.from(said.textContent ?? '').length).toBeLessThanOrEqual(MAX_SHOWN_CHARACTERS);
    // Three failures: the background asks again 2 minutes after the last one, long past here.
    expect(cell('Next attempt').textContent).toBe('Due now');

    const fresh = rowOf('never-tried') as HTMLElement;
    expect(part('grant-end-person', fresh).textContent).toBe('sub-unknown');
    expect(part('grant-end-error', fresh).textContent).toBe('No answer recorded yet');
    expect(fresh.querySelector('[data-label="Next attempt"]')?.textContent).toBe('Within 30 s');
  });

  test('pages with the API cursor: Load more sends nextCursor and appends the next page', async () => {
    api.admin.grantEnds = Array.from({ length: 25 }, (_, i) => pending(`agent-${i + 1}`));
    await openTab();
    expect(screen.getAllByTestId('grant-end-row')).toHaveLength(20);
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(screen.getAllByTestId('grant-end-row')).toHaveLength(25));
    const lists = api.requests.filter((r) => r.path === '/admin/agents/grant-ends');
    expect(lists.map((r) => r.query.get('cursor'))).toEqual([null, '20']);
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
  });

  test('names the buttons after the person without a direction override their username ends in', async () => {
    api.admin.people = [{ issuer: ISSUER, sub: 'sub-alice', username: 'alice\u202e' }];
    api.admin.grantEnds = [pending('shopping-agent')];
    await openTab();
    expect(
      await screen.findByRole('button', { name: 'Retry now: shopping-agent of alice' }),
    ).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Release: shopping-agent of alice' })).toBeTruthy();
  });

  test('a next page that fails says so, keeps the rows shown and Load more to try again', async () => {
    api.admin.grantEnds = Array.from({ length: 25 }, (_, i) => pending(`agent-${i + 1}`));
    await openTab();
    api.failNext((r) => r.path === '/admin/agents/grant-ends' && r.query.has('cursor'), 503);
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(
      /^Couldn't load more grant ends\. .*Try again in a moment\.$/,
    );
    expect(screen.getAllByTestId('grant-end-row')).toHaveLength(20);
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(screen.getAllByTestId('grant-end-row')).toHaveLength(25));
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

describe('Retry now', () => {
  test('that ends the grant sends the key, says so, drops the row and puts the focus on the heading', async () => {
    api.admin.grantEnds = [pending('shopping-agent'), pending('other-agent')];
    api.admin.provider = 'ends';
    await openTab();
    const retry = screen.getByRole('button', { name: 'Retry now: shopping-agent of alice' });
    retry.focus();
    fireEvent.click(retry);
    expect((await status()).textContent).toMatch(
      /^The hold on shopping-agent \(acting for alice\) is cleared: the identity provider ended its grant\. /,
    );
    expect(posts('retry').map((r) => r.body)).toEqual([
      { issuer: ISSUER, sub: 'sub-alice', clientId: 'shopping-agent' },
    ]);
    await waitFor(() => expect(rowOf('shopping-agent')).toBeUndefined());
    expect(rowOf('other-agent')).toBeDefined();
    await waitFor(() =>
      expect(document.activeElement).toBe(
        screen.getByRole('heading', { name: 'Agent grant ends that did not clear' }),
      ),
    );
  });

  test('when the provider holds no grant any more, the row goes too', async () => {
    api.admin.grantEnds = [pending('shopping-agent')];
    api.admin.provider = 'no_grant';
    await openTab();
    fireEvent.click(screen.getByRole('button', { name: 'Retry now: shopping-agent of alice' }));
    expect((await status()).textContent).toContain('holds no grant for it any more');
    expect(await screen.findByText('No hold is pending.')).toBeTruthy();
  });

  test.each([
    [
      'refuses',
      /^The identity provider refused to end the grant\. The hold on .* stays: its tokens are still refused\. Provider: 403 Forbidden: <b>manage-users<\/b> missing/,
    ],
    [
      'unreachable',
      // Said once, in the screen's words: not followed by a second, general "Try again".
      /^The identity provider could not be reached\. The hold on .* stays.*Try again later(?!.*Try again in a moment)/,
    ],
    [
      'no_admin_api',
      /cannot ask this issuer's identity provider to end grants \(it has no admin API for it\), so retrying cannot help\. End the grant at the provider by hand, then Release\./,
    ],
  ] as const)(
    'when the provider %s, the reason is shown and the row stays with the attempt counted',
    async (provider, said) => {
      api.admin.grantEnds = [pending('shopping-agent')];
      api.admin.provider = provider;
      await openTab();
      fireEvent.click(screen.getByRole('button', { name: 'Retry now: shopping-agent of alice' }));
      const shown = await status();
      expect(shown.textContent).toMatch(said);
      expect(shown.querySelector('b')).toBeNull();
      expect(posts('retry')).toHaveLength(1);
      await waitFor(() =>
        expect(
          rowOf('shopping-agent')?.querySelector('[data-testid="grant-end-attempts"]')?.textContent,
        ).toMatch(/^2 failed/),
      );
    },
  );
});

describe('Release', () => {
  test('asks first, with Cancel focused and the consequence explained; Escape leaves it alone', async () => {
    api.admin.grantEnds = [pending('shopping-agent')];
    await openTab();
    const release = screen.getByRole('button', { name: 'Release: shopping-agent of alice' });
    release.focus();
    fireEvent.click(release);
    const dialog = screen.getByRole('alertdialog', { name: 'Confirm releasing the hold' });
    expect(dialog.textContent).toContain('shopping-agent');
    expect(dialog.textContent).toContain('the agent can obtain accepted tokens again');
    const box = within(dialog).getByRole('checkbox', {
      name: "I ended this agent's grant at the identity provider",
    }) as HTMLInputElement;
    expect(box.checked).toBe(false);
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' }));
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('alertdialog')).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(release));
    expect(posts('release')).toHaveLength(0);
  });

  test('unconfirmed and refused by the provider is a 409, explained; confirmed, it sends ended-at-provider and the row goes', async () => {
    api.admin.grantEnds = [pending('shopping-agent')];
    api.admin.provider = 'refuses';
    await openTab();
    fireEvent.click(screen.getByRole('button', { name: 'Release: shopping-agent of alice' }));
    fireEvent.click(screen.getByRole('button', { name: 'Release' }));
    expect((await status()).textContent).toMatch(
      /^Nothing was released\. The identity provider did not end the grant, and you did not confirm that it was ended there by hand\. The hold on shopping-agent \(acting for alice\) stays/,
    );
    expect(posts('release').map((r) => r.body)).toEqual([
      { issuer: ISSUER, sub: 'sub-alice', clientId: 'shopping-agent' },
    ]);
    expect(rowOf('shopping-agent')).toBeDefined();

    fireEvent.click(screen.getByRole('button', { name: 'Release: shopping-agent of alice' }));
    const dialog = screen.getByRole('alertdialog', { name: 'Confirm releasing the hold' });
    fireEvent.click(within(dialog).getByRole('checkbox'));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Release' }));
    expect((await status()).textContent).toContain(
      'is cleared: released on your confirmation that its grant was ended at the provider',
    );
    expect(posts('release')[1]?.body).toEqual({
      issuer: ISSUER,
      sub: 'sub-alice',
      clientId: 'shopping-agent',
      confirm: 'ended-at-provider',
    });
    expect(await screen.findByText('No hold is pending.')).toBeTruthy();
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });

  test('unconfirmed while the provider cannot be reached, nothing is released and the row stays', async () => {
    api.admin.grantEnds = [pending('shopping-agent')];
    api.admin.provider = 'unreachable';
    await openTab();
    fireEvent.click(screen.getByRole('button', { name: 'Release: shopping-agent of alice' }));
    fireEvent.click(screen.getByRole('button', { name: 'Release' }));
    expect((await status()).textContent).toMatch(
      /^Nothing was released: the identity provider could not be reached\. The hold on shopping-agent \(acting for alice\) stays/,
    );
    expect(posts('release').map((r) => r.body)).toEqual([
      { issuer: ISSUER, sub: 'sub-alice', clientId: 'shopping-agent' },
    ]);
    expect(rowOf('shopping-agent')).toBeDefined();
  });

  test('a hold settled meanwhile elsewhere (404) is said so and the list read again', async () => {
    api.admin.grantEnds = [pending('shopping-agent')];
    api.admin.provider = 'ends';
    await openTab();
    api.admin.grantEnds = [];
    fireEvent.click(screen.getByRole('button', { name: 'Release: shopping-agent of alice' }));
    fireEvent.click(screen.getByRole('button', { name: 'Release' }));
    expect((await status()).textContent).toContain('is no longer pending');
    expect(await screen.findByText('No hold is pending.')).toBeTruthy();
  });
});

import { DEV_ONLY } from '@todo-sso/idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Browser,
  decodeJwt,
  form,
  formAction,
  hiddenInputs,
  startTestIdp,
  type TestIdp,
} from './helpers.js';

let idp: TestIdp;

beforeAll(async () => {
  idp = await startTestIdp();
});
afterAll(async () => {
  await idp.close();
});

async function poll(deviceCode: string) {
  const res = await fetch(
    idp.discovery.token_endpoint as string,
    form({
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      client_id: 'todo-cli',
      device_code: deviceCode,
    }),
  );
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

/** The banner as every dev IdP page renders it (DEV_ONLY has nothing to escape). */
const BANNER = `<p class="dev" role="note">${DEV_ONLY}</p>`;

describe('device authorization grant (RFC 8628) for todo-cli', () => {
  it('issues a user code, answers authorization_pending, then tokens after the user signs in', async () => {
    const start = await fetch(
      idp.discovery.device_authorization_endpoint as string,
      form({ client_id: 'todo-cli', scope: 'openid' }),
    );
    expect(start.status).toBe(200);
    const device = (await start.json()) as Record<string, string>;
    expect(device).toMatchObject({
      device_code: expect.any(String),
      user_code: expect.any(String),
      verification_uri: expect.stringContaining('/realms/todo-app/device'),
      expires_in: expect.any(Number),
    });
    expect((await poll(device.device_code as string)).body.error).toBe('authorization_pending');

    // The user opens the verification URI, confirms the code and signs in.
    const browser = new Browser();
    let url = device.verification_uri_complete as string;
    let res = await browser.fetch(url);
    let last = '';
    for (let step = 0; step < 8; step++) {
      if (res.status >= 300 && res.status < 400) {
        url = new URL(res.headers.get('location') as string, url).href;
        res = await browser.fetch(url);
        continue;
      }
      const html = await res.text();
      last = html;
      if (!html.includes('<form')) break;
      const fields: Record<string, string> = html.includes('name="password"')
        ? { username: 'bob', password: 'bob' }
        : { ...hiddenInputs(html), user_code: device.user_code as string, confirm: 'yes' };
      res = await browser.fetch(formAction(html, url), form(fields));
    }
    expect(res.status).toBe(200);
    expect(last).toContain(BANNER);
    expect(last).toContain('<h1>Device login successful</h1>');

    const { status, body } = await poll(device.device_code as string);
    expect(status).toBe(200);
    const access = decodeJwt(body.access_token as string).payload;
    expect(access).toMatchObject({
      aud: 'todo-api',
      azp: 'todo-cli',
      typ: 'Bearer',
      preferred_username: 'bob',
      department: 'sales',
    });
    expect(body.refresh_token).toBeTruthy();
  });

  it("serves the user-code page with the login page's development-only banner, and says so on a wrong code", async () => {
    const start = await fetch(
      idp.discovery.device_authorization_endpoint as string,
      form({ client_id: 'todo-cli', scope: 'openid' }),
    );
    const device = (await start.json()) as Record<string, string>;
    const browser = new Browser();
    const url = device.verification_uri as string;
    const res = await browser.fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain(BANNER);
    expect(html).toContain('<h1>Device login</h1>');
    expect(html).toContain('id="op.deviceInputForm"');

    const wrong = await browser.fetch(
      formAction(html, url),
      form({ ...hiddenInputs(html), user_code: 'WRONG-CODE' }),
    );
    const retry = await wrong.text();
    expect(retry).toContain(BANNER);
    expect(retry).toContain('The code you entered is incorrect. Try again.');
  });

  it('refuses the device grant to todo-ui (not enabled in the realm) with 400', async () => {
    const res = await fetch(
      idp.discovery.device_authorization_endpoint as string,
      form({ client_id: 'todo-ui', scope: 'openid' }),
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as Record<string, string>;
    expect(body.error).toBe('invalid_request');
    expect(body.error_description).toMatch(/not allowed/);
  });
});

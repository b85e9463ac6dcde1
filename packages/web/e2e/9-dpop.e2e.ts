import { createHash, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { pageProof } from './support/dpop.js';
import {
  accessToken,
  apiAnswer,
  expect,
  signIn,
  skipWithoutChromium,
  test,
} from './support/fixtures.js';
import { SHORT_ACCESS_TOKEN_LIFESPAN } from './support/stack.js';

skipWithoutChromium();

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A proof by a key the attacker made up (RFC 9449 §4.2 shape, everything right but the key). */
function madeUpProof(method: string, url: string, token: string): string {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const input = `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicKey.export({ format: 'jwk' }) })}.${b64(
    {
      jti: randomUUID(),
      htm: method,
      htu: url,
      iat: Math.floor(Date.now() / 1000),
      ath: createHash('sha256').update(token).digest('base64url'),
    },
  )}`;
  const signature = sign('sha256', Buffer.from(input), {
    key: privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return `${input}.${signature.toString('base64url')}`;
}

const payloadOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString()) as Record<
    string,
    unknown
  >;

test('alice gets a DPoP-bound token; a copy of it is useless without the page’s key', async ({
  page,
  urls,
}) => {
  const tokenRequests: { grant: string | null; dpop: string | undefined }[] = [];
  const tokenTypes: string[] = [];
  const apiCalls: { authorization?: string; dpop?: string }[] = [];
  page.on('request', (req) => {
    if (req.method() === 'POST' && req.url().endsWith('/protocol/openid-connect/token')) {
      const grant = new URLSearchParams(req.postData() ?? '').get('grant_type');
      tokenRequests.push({ grant, dpop: req.headers().dpop });
    }
    if (req.url().startsWith(urls.api) && req.method() !== 'OPTIONS') {
      const { authorization, dpop } = req.headers();
      apiCalls.push({ authorization, dpop });
    }
  });
  page.on('response', async (res) => {
    if (res.url().endsWith('/protocol/openid-connect/token') && res.status() === 200) {
      tokenTypes.push(((await res.json()) as { token_type: string }).token_type);
    }
  });

  await signIn(page, urls, 'alice');
  // The code redemption carried a proof and the IdP bound the token to its key (RFC 9449 §5).
  expect(tokenRequests[0]).toMatchObject({ grant: 'authorization_code', dpop: expect.any(String) });
  await expect.poll(() => tokenTypes[0]).toBe('DPoP');
  const token = await accessToken(page);
  const { jkt } = payloadOf(token).cnf as { jkt: string };
  expect(jkt).toMatch(/^[\w-]{43}$/);

  // The key pair lives in IndexedDB, its private half not extractable.
  const extractable = await page.evaluate(
    () =>
      new Promise<boolean | undefined>((resolve) => {
        const open = indexedDB.open('oidc');
        open.onsuccess = () => {
          const get = open.result.transaction('dpop').objectStore('dpop').get('todo-ui');
          get.onsuccess = () =>
            resolve(
              (get.result as { keys: CryptoKeyPair } | undefined)?.keys.privateKey.extractable,
            );
        };
      }),
  );
  expect(extractable).toBe(false);

  // The todo screen works: every API call goes with the DPoP scheme and a fresh proof.
  const title = `Bound to a key ${randomUUID().slice(0, 8)}`;
  await page.getByLabel('New todo').fill(title);
  const created = apiAnswer(page, urls, 'POST', '/todos');
  await page.getByLabel('New todo').press('Enter');
  await expect(page.getByText(title)).toBeVisible();
  // Shown at once; the reload waits for the API's answer so that it cannot cancel the POST.
  expect(await created).toBe(201);
  await page.reload();
  // Exact: when the reload came before the page took in the 201, it also says the todo was saved.
  await expect(page.getByText(title, { exact: true })).toBeVisible();
  expect(apiCalls.length).toBeGreaterThan(1);
  for (const call of apiCalls) {
    expect(call.authorization).toMatch(/^DPoP /);
    expect(call.dpop).toBeTruthy();
  }
  expect(new Set(apiCalls.map((c) => c.dpop)).size).toBe(apiCalls.length);

  // The token copied out of the page and replayed from Node, as curl would.
  const url = `${urls.api}/todos/`;
  const asBearer = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  expect(asBearer.status).toBe(401);
  expect(asBearer.headers.get('www-authenticate')).toContain('error="invalid_token"');
  const madeUp = await fetch(url, {
    headers: { Authorization: `DPoP ${token}`, DPoP: madeUpProof('GET', url, token) },
  });
  expect(madeUp.status).toBe(401);
  // The same request with a proof by the page's key passes: the refusals were the key's doing.
  const proof = await pageProof(page, token, 'GET', url);
  const withPageKey = await fetch(url, {
    headers: { Authorization: `DPoP ${token}`, DPoP: proof as string },
  });
  expect(withPageKey.status).toBe(200);
});

test.describe('with 10-second access tokens (SHORT_ACCESS_TOKEN_LIFESPAN)', () => {
  test('silent renewal sends a proof and keeps the token bound to the same key', async ({
    page,
    shortTokenUrls: urls,
  }) => {
    const refreshes: (string | undefined)[] = [];
    page.on('request', (req) => {
      const grant = new URLSearchParams(req.postData() ?? '').get('grant_type');
      if (req.method() === 'POST' && grant === 'refresh_token') refreshes.push(req.headers().dpop);
    });
    await signIn(page, urls, 'alice');
    const first = await accessToken(page);
    await page.waitForTimeout((SHORT_ACCESS_TOKEN_LIFESPAN + 2) * 1000);
    const title = `After renewal ${randomUUID().slice(0, 8)}`;
    await page.getByLabel('New todo').fill(title);
    await page.getByLabel('New todo').press('Enter');
    // Shown at once (optimistically); enabled once the API accepted the POST with the renewed
    // token and its proof.
    await expect(page.getByRole('checkbox', { name: title })).toBeEnabled();
    expect(refreshes.length).toBeGreaterThan(0);
    for (const proof of refreshes) expect(proof).toBeTruthy();
    const renewed = await accessToken(page);
    expect(renewed).not.toBe(first);
    expect(payloadOf(renewed).cnf).toEqual(payloadOf(first).cnf);
  });
});

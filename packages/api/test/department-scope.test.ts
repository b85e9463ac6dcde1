import { carol } from '@todo-sso/auth/testing';
import { describe, expect, it } from 'vitest';
import { ownerRepository } from '../src/repositories/owners.js';
import { todoRepository } from '../src/todos/repository.js';
import { sqliteDriver } from './support/databases.js';
import { useHarness } from './support/harness.js';

/**
 * Attribute scoping of `GET /reports/summary` as real signed tokens carry the `department`
 * claim: only the caller's own department, compared exactly, and no report at all for an
 * account the provider assigns no department to, whatever shape "none" takes in the token.
 */
describe('department scoping of reports, from the claim as tokens carry it', () => {
  const h = useHarness(sqliteDriver);
  const summary = async (department: unknown, query = '') => {
    const token = await h.idp.accessToken({ ...carol, department: undefined } as typeof carol, {
      claims: department === undefined ? {} : { department },
    });
    return h.app.inject({
      url: `/reports/summary${query}`,
      headers: { authorization: `Bearer ${token}` },
    });
  };

  it('refuses a caller whose department is empty or missing: no value is not a department', async () => {
    // Two people the provider left without a department: neither may read the other's counts.
    const owners = ownerRepository(h.context.db);
    const other = { issuer: h.idp.issuer, subject: 'no-department-person' };
    await owners.touch({ ...other, username: 'erin', email: null, department: '' }, new Date());
    await todoRepository(h.context.db).create(other, { title: 'unassigned work' }, new Date());
    for (const department of [undefined, '', [], [''], ['', ''], null, 42, [42], { a: 'b' }]) {
      const res = await summary(department);
      expect(res.statusCode, JSON.stringify(department)).toBe(403);
      expect(res.json(), JSON.stringify(department)).toMatchObject({
        code: 'insufficient_permission',
        detail: 'No department is assigned to this account',
      });
    }
  });

  it('takes the non-empty values of a list and compares them exactly (case, width, form)', async () => {
    const both = ['', 'engineering'];
    const own = await summary(both);
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ department: 'engineering' });
    for (const other of ['Engineering', 'ＥＮＧＩＮＥＥＲＩＮＧ', 'engineering ', 'sales']) {
      const res = await summary('engineering', `?department=${encodeURIComponent(other)}`);
      expect(res.statusCode, other).toBe(403);
      expect(res.json()).toMatchObject({ detail: 'Only your own department is allowed' });
    }
    // A decomposed é is another string than a composed one: refused, never folded to it.
    const composed = 'R\u00e9seau';
    expect(
      (await summary(composed, `?department=${encodeURIComponent(composed)}`)).statusCode,
    ).toBe(200);
    const decomposed = 'Re\u0301seau';
    expect(
      (await summary(composed, `?department=${encodeURIComponent(decomposed)}`)).statusCode,
    ).toBe(403);
  });
});

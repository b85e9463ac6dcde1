/**
 * The Authentik blueprint: the dev realm's users, groups and clients as Authentik imports them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Any, DEMO_USERS, deploy, expandedRoles, realm } from './support.js';

describe('Authentik blueprint', () => {
  const tag = (name: string, collection?: 'seq' | 'map') => ({
    tag: name,
    ...(collection && { collection }),
    resolve: (v: Any) => ({ $tag: name, value: collection ? v.toJSON() : v }),
  });
  const tags = ['!KeyOf', '!Context', '!Env', '!Find', '!Format', '!If', '!Condition'].flatMap(
    (n) => [tag(n), tag(n, 'seq'), tag(n, 'map')],
  );
  const blueprint: Any = parse(readFileSync(join(deploy, 'authentik/todo-app.yaml'), 'utf8'), {
    customTags: tags as Any,
  });
  const entries: Any[] = blueprint.entries;
  const byModel = (model: string) => entries.filter((e) => e.model === model);
  const byId = new Map(entries.filter((e) => e.id).map((e) => [e.id, e]));
  const keyOf = (ref: Any) => {
    expect(ref?.$tag).toBe('!KeyOf');
    return byId.get(ref.value);
  };

  it('is a version 1 blueprint of known Authentik models', () => {
    expect(blueprint.version).toBe(1);
    const models = new Set(entries.map((e) => e.model));
    expect([...models].sort()).toEqual([
      'authentik_core.application',
      'authentik_core.group',
      'authentik_core.user',
      'authentik_policies.policybinding',
      'authentik_providers_oauth2.oauth2provider',
      'authentik_providers_oauth2.scopemapping',
    ]);
  });

  it('refers with !KeyOf only to entries defined before the reference', () => {
    const seen = new Set<string>();
    let refs = 0;
    const walk = (node: Any) => {
      if (node?.$tag === '!KeyOf') {
        refs++;
        expect(seen.has(node.value), `!KeyOf ${node.value}`).toBe(true);
      } else if (node && typeof node === 'object') {
        for (const v of Object.values(node)) walk(v);
      }
    };
    for (const entry of entries) {
      walk(entry);
      if (entry.id) seen.add(entry.id);
    }
    expect(refs).toBeGreaterThan(20);
  });

  it('creates the role and permission groups of the dev realm', () => {
    const names = byModel('authentik_core.group').map((g) => g.identifiers.name);
    expect(names.sort()).toEqual(
      [
        'admin',
        'authz:evaluate',
        'reports:generate',
        'todos:read',
        'todos:write',
        'user',
        'users:manage',
      ].sort(),
    );
    for (const g of byModel('authentik_core.group')) expect(g.attrs.is_superuser).toBe(false);
  });

  it('creates the demo users with the realm’s roles expanded into groups', () => {
    const users = byModel('authentik_core.user');
    expect(users.map((u) => u.identifiers.username)).toEqual(DEMO_USERS);
    for (const user of users) {
      const username = user.identifiers.username;
      const fromRealm = realm.users.find((u: Any) => u.username === username);
      const groups = user.attrs.groups.map((ref: Any) => keyOf(ref).identifiers.name).sort();
      expect(groups, username).toEqual(expandedRoles(fromRealm));
      expect(user.attrs.password).toBe(username);
      expect(user.attrs.email).toBe(fromRealm.email);
      expect(user.attrs.attributes.department).toBe(fromRealm.attributes?.department?.[0]);
      expect(user.conditions).toEqual([{ $tag: '!Context', value: 'demo_users' }]);
    }
    const alice = users.find((u) => u.identifiers.username === 'alice');
    expect(alice.attrs.groups.map((r: Any) => keyOf(r).identifiers.name).sort()).toEqual([
      'todos:read',
      'todos:write',
      'user',
    ]);
  });

  it('maps groups into a flat `groups` claim and the department attribute', () => {
    const [mapping] = byModel('authentik_providers_oauth2.scopemapping');
    expect(mapping.attrs.scope_name).toBe('profile');
    expect(mapping.attrs.expression).toMatch(/"groups":\s*sorted\(group\.name for group in/);
    expect(mapping.attrs.expression).toContain('attributes.get("department")');
  });

  it('defines the todo-app provider: public todo-ui client, per-provider issuer, RS256', () => {
    const providers = byModel('authentik_providers_oauth2.oauth2provider');
    const app = byModel('authentik_core.application').find(
      (a) => a.identifiers.slug === 'todo-app',
    );
    const provider = keyOf(app.attrs.provider);
    expect(providers).toContain(provider);
    expect(provider.attrs).toMatchObject({
      client_id: 'todo-ui',
      client_type: 'public',
      issuer_mode: 'per_provider',
      access_token_validity: `minutes=${realm.accessTokenLifespan / 60}`,
      logout_method: 'backchannel',
    });
    // Without a signing key Authentik signs with HS256 and the client secret.
    expect(provider.attrs.signing_key.$tag).toBe('!Find');
    expect(provider.attrs.signing_key.value[0]).toBe('authentik_crypto.certificatekeypair');
    const mappings = provider.attrs.property_mappings;
    expect(mappings).toContainEqual({ $tag: '!KeyOf', value: 'scope-todo-profile' });
    expect(JSON.stringify(mappings)).toContain('scope-openid');
    expect(provider.attrs.redirect_uris).toEqual([
      { matching_mode: 'regex', url: { $tag: '!Context', value: 'web_redirect_regex' } },
    ]);
    const regex = new RegExp(blueprint.context.web_redirect_regex.value[1]);
    expect(regex.test('http://localhost:3000/callback')).toBe(true);
    expect(regex.test('http://localhost:3001/callback')).toBe(false);
    expect(regex.test('http://evil.example/?http://localhost:3000/')).toBe(false);
  });

  it('defines the public todo-cli client with loopback redirects only', () => {
    const app = byModel('authentik_core.application').find(
      (a) => a.identifiers.slug === 'todo-cli',
    );
    const provider = keyOf(app.attrs.provider);
    expect(provider.attrs.client_id).toBe('todo-cli');
    expect(provider.attrs.client_type).toBe('public');
    const regex = new RegExp(provider.attrs.redirect_uris[0].url);
    expect(regex.test('http://127.0.0.1:53682/callback')).toBe(true);
    expect(regex.test('http://localhost/cb')).toBe(true);
    expect(regex.test('http://127.0.0.1.evil.example/cb')).toBe(false);
    expect(regex.test('https://evil.example/cb')).toBe(false);
  });

  it('lets only members of user or admin use the applications', () => {
    const bindings = byModel('authentik_policies.policybinding').map(
      (b) =>
        `${keyOf(b.identifiers.target).identifiers.slug}:${keyOf(b.identifiers.group).identifiers.name}`,
    );
    expect(bindings.sort()).toEqual([
      'todo-app:admin',
      'todo-app:user',
      'todo-cli:admin',
      'todo-cli:user',
    ]);
  });
});

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_REALM_FILE, IdpError, loadRealm } from '@todo-sso/idp';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { clientOf, realmJson } from './helpers.js';

/**
 * Type-checks `const realm: RealmRepresentation = <json>` for each JSON text with the TypeScript
 * compiler, in one program; returns the diagnostics of each.
 */
function typeCheckRealms(jsons: string[]): string[][] {
  const here = dirname(fileURLToPath(import.meta.url));
  const files = jsons.map((json, i) => ({
    name: join(here, `__realm_type_check_${i}__.ts`),
    source: `import type RealmRepresentation from '@keycloak/keycloak-admin-client/lib/defs/realmRepresentation.js';
const realm: RealmRepresentation = ${json};
export default realm;`,
  }));
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) => {
    const file = files.find((f) => f.name === name);
    return file ? ts.createSourceFile(name, file.source, lang) : getSourceFile(name, lang, ...rest);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => files.some((f) => f.name === name) || fileExists(name);
  const program = ts.createProgram(
    files.map((f) => f.name),
    options,
    host,
  );
  return files.map((f) =>
    ts
      .getPreEmitDiagnostics(program, program.getSourceFile(f.name))
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
  );
}

function errorOf(fn: () => unknown): IdpError {
  try {
    fn();
  } catch (error) {
    if (error instanceof IdpError) return error;
    throw error;
  }
  throw new Error('expected an IdpError');
}

describe('the realm file deploy/keycloak/realm-todo-app.json', () => {
  it('type-checks as a Keycloak RealmRepresentation (keycloak-admin-client), excess properties included', () => {
    // The second realm has a field Keycloak does not know: the same check must fail on it.
    const { components: _, ...realm } = realmJson();
    const typo = { ...realm, accessTokenLifeSpan: 300 };
    // The client types `components` as one component per type with string config values;
    // Keycloak's RealmRepresentation has a MultivaluedHashMap there (a list of components per
    // type, lists of strings as config values), which is how it exports and imports them. So
    // `components` is checked on its own below, in Keycloak's shape.
    const { components, ...file } = JSON.parse(readFileSync(DEFAULT_REALM_FILE, 'utf8'));
    const [fileErrors, withTypo] = typeCheckRealms([JSON.stringify(file), JSON.stringify(typo)]);
    for (const [type, list] of Object.entries(components as Record<string, unknown>)) {
      expect(type).toMatch(/^org\.keycloak\./);
      expect(Array.isArray(list)).toBe(true);
      for (const component of list as Record<string, unknown>[]) {
        expect(
          Object.keys(component).every((k) =>
            ['id', 'name', 'providerId', 'subType', 'subComponents', 'config'].includes(k),
          ),
        ).toBe(true);
        for (const values of Object.values(component.config as Record<string, unknown>))
          expect(Array.isArray(values) && values.every((v) => typeof v === 'string')).toBe(true);
      }
    }
    expect(fileErrors).toEqual([]);
    expect(withTypo?.join('\n')).toContain('accessTokenLifeSpan');
    // Building a TypeScript program takes seconds on a busy machine.
  }, 30_000);

  it('declares in its user profile every attribute the mappers and the API use, an administrator may edit them (Keycloak 24+ hides and drops undeclared ones)', () => {
    const realm = loadRealm(DEFAULT_REALM_FILE);
    expect(realm.userProfile.unmanagedAttributePolicy).toBe('DISABLED');
    const json = realmJson();
    const mapped = json.clients.flatMap((c) =>
      ((c.protocolMappers ?? []) as { protocolMapper: string; config: Record<string, string> }[])
        .filter((m) => m.protocolMapper === 'oidc-usermodel-attribute-mapper')
        .map((m) => m.config['user.attribute']),
    );
    // `department` is also what the API's Admin screen sets.
    for (const name of new Set([...mapped, 'department'])) {
      expect(realm.userProfile.managed.get(name ?? ''), name).toEqual({
        adminView: true,
        adminEdit: true,
      });
    }
  });

  it('defines the clients of the dev realm with their flows, secrets and mappers', () => {
    const realm = loadRealm(DEFAULT_REALM_FILE);
    expect(realm.name).toBe('todo-app');
    expect([...realm.clients.keys()].sort()).toEqual(['todo-api', 'todo-cli', 'todo-ui']);
    const ui = realm.clients.get('todo-ui');
    expect(ui).toMatchObject({
      publicClient: true,
      standardFlow: true,
      directAccessGrants: false,
      pkceMethod: 'S256',
      redirectUris: [
        'http://localhost:3000/*',
        'http://localhost:8000/docs/static/oauth2-redirect.html',
      ],
      webOrigins: ['http://localhost:3000', 'http://localhost:8000'],
      audiences: ['todo-api'],
      backchannelLogoutUrl: 'http://localhost:8000/auth/backchannel-logout',
    });
    expect(realm.clients.get('todo-api')).toMatchObject({
      publicClient: false,
      secret: 'todo-api-secret',
      serviceAccount: true,
      standardFlow: false,
    });
    expect(realm.clients.get('todo-cli')).toMatchObject({
      publicClient: true,
      // RFC 8252: the loopback redirect of `todo login --browser`, at any port (§7.3), with PKCE.
      standardFlow: true,
      redirectUris: ['http://127.0.0.1/callback', 'http://[::1]/callback'],
      pkceMethod: 'S256',
      directAccessGrants: true,
      deviceGrant: true,
      audiences: ['todo-api'],
      backchannelLogoutUrl: 'http://localhost:8000/auth/backchannel-logout',
    });
    expect(realm.accessTokenLifespan).toBe(300);
  });

  it('expands composite roles: user → todos:read + todos:write; carol adds reports:generate', () => {
    const realm = loadRealm(DEFAULT_REALM_FILE);
    const roles = (name: string) => {
      const u = realm.users.get(name);
      return { realm: u?.realmRoles.sort(), api: u?.clientRoles['todo-api']?.sort() ?? [] };
    };
    expect(roles('alice')).toEqual({ realm: ['user'], api: ['todos:read', 'todos:write'] });
    expect(roles('bob')).toEqual({ realm: ['user'], api: ['todos:read', 'todos:write'] });
    expect(roles('carol')).toEqual({
      realm: ['user'],
      api: ['reports:generate', 'todos:read', 'todos:write'],
    });
    expect(roles('admin')).toEqual({ realm: ['admin'], api: ['authz:evaluate'] });
    expect(roles('testuser')).toEqual({ realm: ['user'], api: ['todos:read', 'todos:write'] });
    expect(realm.users.get('alice')?.attributes.department).toEqual(['engineering']);
    expect(realm.users.get('bob')?.attributes.department).toEqual(['sales']);
    expect(realm.users.get('admin')?.attributes.department).toBeUndefined();
    for (const name of ['alice', 'bob', 'carol', 'admin', 'testuser']) {
      expect(realm.users.get(name)?.password).toBe(name);
    }
  });

  it('resolves group roles, attributes and sub-groups, and composites that reach client roles', () => {
    const json = realmJson();
    json.groups = [
      {
        name: 'staff',
        realmRoles: ['user'],
        attributes: { site: ['berlin'] },
        subGroups: [{ name: 'analysts', clientRoles: { 'todo-api': ['reports:generate'] } }],
      },
    ];
    json.users.push({
      username: 'dave',
      groups: ['/staff/analysts'],
      attributes: { site: ['paris'] },
    });
    const dave = loadRealm(json).users.get('dave');
    expect(dave?.realmRoles).toEqual(['user']);
    expect(dave?.clientRoles['todo-api']?.sort()).toEqual([
      'reports:generate',
      'todos:read',
      'todos:write',
    ]);
    expect(dave?.attributes.site).toEqual(['paris']);
    expect(dave?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(loadRealm(json).users.get('dave')?.id).toBe(dave?.id);
  });

  it('rejects an unsupported top-level field with ERR_REALM_UNSUPPORTED naming it', () => {
    const json = { ...realmJson(), identityProviders: [] };
    const error = errorOf(() => loadRealm(json));
    expect(error.code).toBe('ERR_REALM_UNSUPPORTED');
    expect(error.message).toContain('"identityProviders"');
  });

  it('rejects an unsupported client attribute and protocol mapper type, naming the path', () => {
    const json = realmJson();
    clientOf(json, 'todo-ui').attributes = { 'saml.assertion.signature': 'true' };
    const attr = errorOf(() => loadRealm(json));
    expect(attr.code).toBe('ERR_REALM_UNSUPPORTED');
    expect(attr.message).toContain('clients[0].attributes.saml.assertion.signature');

    const json2 = realmJson();
    (clientOf(json2, 'todo-cli').protocolMappers as { protocolMapper: string }[])[0] = {
      protocolMapper: 'oidc-hardcoded-claim-mapper',
    };
    const mapper = errorOf(() => loadRealm(json2));
    expect(mapper.code).toBe('ERR_REALM_INVALID');
    expect(mapper.message).toContain('clients[2].protocolMappers[0].protocolMapper');
  });

  it('rejects implicit flow, unknown roles and malformed lifespans, naming the field', () => {
    const implicit = realmJson();
    clientOf(implicit, 'todo-ui').implicitFlowEnabled = true;
    expect(errorOf(() => loadRealm(implicit)).message).toContain('clients[0].implicitFlowEnabled');

    const unknownRole = realmJson();
    (unknownRole.users[0] as unknown as { realmRoles: string[] }).realmRoles = ['superuser'];
    const roleError = errorOf(() => loadRealm(unknownRole));
    expect(roleError.code).toBe('ERR_REALM_INVALID');
    expect(roleError.message).toContain('users[0]');
    expect(roleError.message).toContain('superuser');

    const lifespan = { ...realmJson(), accessTokenLifespan: -5 };
    expect(errorOf(() => loadRealm(lifespan)).message).toContain('"accessTokenLifespan"');
  });

  it('turns front-channel logout off on every client it sends back-channel logouts to', () => {
    // Keycloak sends no logout token to a client whose front-channel logout is on
    // (AuthenticationManager.backchannelLogoutClientSession), and its console turns it on for
    // new clients: the file says false, not leaving it to the importing server's default.
    const backchannelClients = realmJson().clients.filter(
      (c) => c.attributes?.['backchannel.logout.url'],
    );
    expect(backchannelClients.map((c) => c.clientId).sort()).toEqual(['todo-cli', 'todo-ui']);
    for (const client of backchannelClients) expect(client.frontchannelLogout).toBe(false);
  });

  it('rejects a client with front-channel logout on and a back-channel logout URL, which Keycloak would never notify', () => {
    const json = realmJson();
    clientOf(json, 'todo-cli').frontchannelLogout = true;
    const error = errorOf(() => loadRealm(json));
    expect(error.code).toBe('ERR_REALM_INVALID');
    expect(error.message).toContain('clients[2].frontchannelLogout');
    expect(error.message).toContain('back-channel logout');
    // Front-channel logout on a client without a back-channel URL is Keycloak's console default.
    const frontOnly = realmJson();
    const ui = clientOf(frontOnly, 'todo-ui');
    ui.frontchannelLogout = true;
    delete ui.attributes?.['backchannel.logout.url'];
    expect(loadRealm(frontOnly).clients.get('todo-ui')?.backchannelLogoutUrl).toBeUndefined();
  });

  it.each([
    ['ftp://localhost/backchannel-logout', 'an ftp URL'],
    ['javascript:alert(1)', 'a javascript: URL'],
    ['http://localhost:8000/auth/backchannel-logout#top', 'a URL with a fragment'],
    ['/auth/backchannel-logout', 'a relative URL'],
  ])('rejects %s as a back-channel logout URL (%s): Back-Channel Logout 1.0 §2.2', (url) => {
    const json = realmJson();
    const cli = clientOf(json, 'todo-cli');
    cli.attributes = { ...cli.attributes, 'backchannel.logout.url': url };
    const error = errorOf(() => loadRealm(json));
    expect(error.code).toBe('ERR_REALM_INVALID');
    expect(error.message).toContain('clients[2].attributes["backchannel.logout.url"]');
  });

  it('reads ssoSessionMaxLifespan: 36000 s from the file, the same Keycloak default when absent', () => {
    expect(loadRealm(DEFAULT_REALM_FILE).ssoSessionMaxLifespan).toBe(36000);
    const { ssoSessionMaxLifespan: _omitted, ...withoutMax } = realmJson();
    expect(loadRealm(withoutMax).ssoSessionMaxLifespan).toBe(36000);
    expect(loadRealm({ ...realmJson(), ssoSessionMaxLifespan: 60 }).ssoSessionMaxLifespan).toBe(60);
  });

  it('rejects a zero, negative, fractional or string ssoSessionMaxLifespan with ERR_REALM_INVALID naming it', () => {
    // A realm file is untyped JSON: the string is the malformed value under test.
    for (const value of [0, -1, 1.5, '36000'] as number[]) {
      const error = errorOf(() => loadRealm({ ...realmJson(), ssoSessionMaxLifespan: value }));
      expect(error.code).toBe('ERR_REALM_INVALID');
      expect(error.message).toContain('"ssoSessionMaxLifespan"');
    }
  });

  it('names an unreadable realm file with ERR_REALM_READ', () => {
    const error = errorOf(() => loadRealm('/nonexistent/realm.json'));
    expect(error.code).toBe('ERR_REALM_READ');
    expect(error.message).toContain('/nonexistent/realm.json');
  });
});

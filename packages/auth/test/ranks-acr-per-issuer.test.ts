import {
  type Decision,
  decide,
  type IssuerAcrLevels,
  type Principal,
  requirementProblems,
} from '@todo-sso/auth';
import { describe, expect, test } from 'vitest';

const NOW = 1_800_000_000;
const HOME = 'https://sso.example.com/realms/home';
const PARTNER = 'https://partner.example.com';
const partnerLevels: IssuerAcrLevels = {
  levels: ['bronze', 'mfa', 'gold'],
  asks: new Map([['mfa', 'gold']]),
};
const context = {
  now: NOW,
  acrLevels: ['pwd', 'mfa'],
  issuerAcrLevels: new Map([[PARTNER, partnerLevels]]),
};

function caller(issuer: string, acr: string): Principal {
  return {
    issuer,
    subject: 'admin',
    roles: ['admin'],
    permissions: [],
    scopes: [],
    attributes: {},
    claims: {},
    expiresAt: NOW + 300,
    isAdmin: true,
    acr,
    authTime: NOW - 10,
  };
}

const asked = (decision: Decision) =>
  decision.allowed ? 'allowed' : decision.challenge.acrValues?.join(' ');

describe('acr ranked in the levels of the token’s own issuer', () => {
  test('an issuer with levels of its own is asked for the level the requirement stands for', () => {
    const requirement = { acr: 'mfa', maxAge: 900 };
    expect(asked(decide(caller(PARTNER, 'gold'), requirement, undefined, context))).toBe('allowed');
    // The partner's own `mfa` is below its `gold`, whatever `mfa` means at home.
    const weak = decide(caller(PARTNER, 'mfa'), requirement, undefined, context);
    expect(weak).toMatchObject({
      reason: 'authentication_too_weak',
      description: 'This needs a stronger sign-in (gold)',
      challenge: { status: 401, error: 'insufficient_user_authentication', maxAge: 900 },
    });
    expect(asked(weak)).toBe('gold');
  });

  test('an issuer without levels of its own keeps the default order, and no other issuer’s', () => {
    expect(asked(decide(caller(HOME, 'mfa'), { acr: 'mfa' }, undefined, context))).toBe('allowed');
    expect(asked(decide(caller(HOME, 'gold'), { acr: 'mfa' }, undefined, context))).toBe('mfa');
  });

  test('a too old sign-in is asked for the level of its own issuer', () => {
    const old = { ...caller(PARTNER, 'gold'), authTime: NOW - 901 };
    const decision = decide(old, { acr: 'mfa', maxAge: 900 }, undefined, context);
    expect(decision).toMatchObject({ reason: 'authentication_too_old' });
    expect(asked(decision)).toBe('gold');
  });

  test('a declared acr that asks an issuer for a level it lacks is a start-up mistake', () => {
    const vocabulary = {
      acrLevels: ['pwd', 'mfa'],
      issuerAcrLevels: new Map([[PARTNER, { levels: ['bronze', 'gold'] }]]),
    };
    expect(requirementProblems({ acr: 'mfa' }, vocabulary)).toEqual([
      `acr mfa asks ${PARTNER} for mfa, which is not one of its levels`,
    ]);
    expect(requirementProblems({ acr: 'mfa' }, context)).toEqual([]);
  });
});

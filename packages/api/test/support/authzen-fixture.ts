import type { CandidateRange, Facts, Policy } from '../../src/authzen/engine.js';
import type { Entity } from '../../src/authzen/model.js';

/**
 * The fixture of the OpenID AuthZEN Authorization API 1.0 certification scenario
 * (`certification/authorization-api-1_0-scenario.md` in openid/authzen, §C-1), as data: its
 * subjects, resources and actions (§C-1.1–1.3) and a policy satisfying decision rules 1–8
 * (§C-1.4) and search requirements S1–S6 (§C-1.5). Rules apply first match first.
 */
export const FIXTURE_ENTITIES: Entity[] = [
  { type: 'user', id: 'alice' },
  { type: 'user', id: 'bob', properties: { role: 'admin' } },
  { type: 'record', id: 'record-1', properties: { status: 'active' } },
  { type: 'record', id: 'record-2', properties: { status: 'archived' } },
];

export const FIXTURE_POLICY: Policy = {
  rules: [
    // Rule 6: an admin may write an archived record (before rule 5, which it overrides).
    {
      effect: 'permit',
      subject: { type: 'user', properties: { role: 'admin' } },
      action: { name: 'write' },
      resource: { type: 'record', properties: { status: 'archived' } },
    },
    // Rule 5: nobody else writes an archived record.
    {
      effect: 'deny',
      action: { name: 'write' },
      resource: { type: 'record', properties: { status: 'archived' } },
      reason: 'record_archived',
    },
    // Rules 1 and 2: alice reads and writes records.
    {
      effect: 'permit',
      subject: { type: 'user', id: 'alice' },
      action: { name: ['read', 'write'] },
      resource: { type: 'record' },
    },
    // Rule 7 (and 8 by omission): alice may soft-delete, never hard-delete.
    {
      effect: 'permit',
      subject: { type: 'user', id: 'alice' },
      action: { name: 'delete', properties: { soft: true } },
      resource: { type: 'record' },
    },
    // Rule 3 (and 4 by omission): bob reads records.
    {
      effect: 'permit',
      subject: { type: 'user', id: 'bob' },
      action: { name: 'read' },
      resource: { type: 'record' },
    },
  ],
  actions: { record: ['read', 'write', 'delete'] },
};

/** The entities in a search's candidate range: by id, after `range.after`, `range.limit` at most. */
export function inRange(entities: Entity[], range: CandidateRange): Entity[] {
  return entities
    .filter((e) => range.after === undefined || e.id > range.after)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, range.limit);
}

/** The fixture's facts: entity properties from the catalogue, candidates by type. */
export const FIXTURE_FACTS: Facts = {
  async properties(entity) {
    return FIXTURE_ENTITIES.find((e) => e.type === entity.type && e.id === entity.id)?.properties;
  },
  async check() {
    return { allowed: true, reason: 'allowed' };
  },
  async subjects(type, _resource, range) {
    return inRange(
      FIXTURE_ENTITIES.filter((e) => e.type === type),
      range,
    );
  },
  async resources(type, _subject, range) {
    return inRange(
      FIXTURE_ENTITIES.filter((e) => e.type === type),
      range,
    );
  },
};

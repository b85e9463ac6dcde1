/** JSON schemas of the AuthZEN endpoints (AuthZEN 1.0 §5–§8) for the OpenAPI document. */

export const AnyObject = { type: 'object', additionalProperties: true } as const;
export const DecisionSchema = {
  type: 'object',
  required: ['decision'],
  properties: { decision: { type: 'boolean' }, context: AnyObject },
} as const;

/** The request shapes of AuthZEN 1.0 (§5–§8), for the document and a first check. */
const Str = { type: 'string', minLength: 1 } as const;
const Props = { type: 'object', additionalProperties: true } as const;
const FullEntity = {
  type: 'object',
  required: ['type', 'id'],
  properties: { type: Str, id: Str, properties: Props },
} as const;
/** The entity a search looks for: its `id`, of any JSON type, is ignored (§8.4, §8.5). */
const TypedEntity = {
  type: 'object',
  required: ['type'],
  properties: { type: Str, properties: Props },
} as const;
const ActionIn = {
  type: 'object',
  required: ['name'],
  properties: { name: Str, properties: Props },
} as const;
const Page = {
  type: 'object',
  properties: {
    limit: {
      type: 'integer',
      minimum: 0,
      description:
        'Results a page holds at most; a page holds 1,000 at most whatever this asks (§8.2)',
    },
    token: { type: 'string' },
  },
} as const;
export const BODIES = {
  evaluation: {
    type: 'object',
    required: ['subject', 'action', 'resource'],
    properties: { subject: FullEntity, action: ActionIn, resource: FullEntity, context: Props },
  },
  evaluations: {
    type: 'object',
    properties: {
      subject: FullEntity,
      action: ActionIn,
      resource: FullEntity,
      context: Props,
      options: {
        type: 'object',
        properties: {
          evaluations_semantic: {
            type: 'string',
            enum: ['execute_all', 'deny_on_first_deny', 'permit_on_first_permit'],
          },
        },
      },
      // Items are read one by one: a malformed item is that item's error (§7.2.1).
      evaluations: { type: 'array', items: Props },
    },
    examples: [
      {
        subject: { type: 'user', id: '<sub>' },
        resource: { type: 'list', id: '<list id>' },
        evaluations: [{ action: { name: 'can_read' } }, { action: { name: 'can_share' } }],
      },
    ],
  },
  subject: {
    type: 'object',
    required: ['subject', 'action', 'resource'],
    properties: {
      subject: TypedEntity,
      action: ActionIn,
      resource: FullEntity,
      context: Props,
      page: Page,
    },
  },
  resource: {
    type: 'object',
    required: ['subject', 'action', 'resource'],
    properties: {
      subject: FullEntity,
      action: ActionIn,
      resource: TypedEntity,
      context: Props,
      page: Page,
    },
  },
  action: {
    type: 'object',
    required: ['subject', 'resource'],
    properties: { subject: FullEntity, resource: FullEntity, context: Props, page: Page },
  },
} as const;

/** The answer to a batch (§7): one decision per item, or a single one. */
export const EvaluationsSchema = {
  type: 'object',
  properties: {
    decision: { type: 'boolean' },
    context: AnyObject,
    evaluations: { type: 'array', items: DecisionSchema },
  },
} as const;

/** A search's response (§8): a page of results. */
export const searchResponse = (item: object) => ({
  type: 'object',
  required: ['results'],
  properties: {
    page: {
      type: 'object',
      properties: {
        next_token: { type: 'string' },
        count: { type: 'integer' },
        total: { type: 'integer' },
      },
    },
    context: AnyObject,
    results: { type: 'array', items: item },
  },
});
export const Entity = {
  type: 'object',
  required: ['type', 'id'],
  properties: { type: { type: 'string' }, id: { type: 'string' } },
};
export const ActionName = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string' } },
};

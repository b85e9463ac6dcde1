import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../http/problem.js';
import { problems } from '../schemas/common.js';
import { SECURED } from '../schemas/security.js';
import { runBatch } from './batch.js';
import type { Engine } from './engine.js';
import type { SearchKind } from './model.js';
import { paginate } from './page.js';
import {
  AuthzenRequestError,
  pageOf,
  readBatch,
  readEvaluation,
  readSearch,
  requestObject,
} from './validate.js';

/** The endpoints' paths (AuthZEN 1.0 §10.1, the default paths). */
export const AUTHZEN_PATHS = {
  evaluation: '/access/v1/evaluation',
  evaluations: '/access/v1/evaluations',
  subject: '/access/v1/search/subject',
  resource: '/access/v1/search/resource',
  action: '/access/v1/search/action',
} as const;

export interface AuthzenRouteOptions {
  /** The engine answering one request (the app's policy for the caller's issuer, a fixture…). */
  engineFor(request: FastifyRequest): Engine;
  /** The route `config` an endpoint declares (its authorization requirement). */
  configFor(path: string): object;
  /** The app's error handler, to which every failure is handed after the mapping below. */
  errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

const AnyObject = { type: 'object', additionalProperties: true } as const;
const DecisionSchema = {
  type: 'object',
  required: ['decision'],
  properties: { decision: { type: 'boolean' }, context: AnyObject },
} as const;
const TAGS = ['authzen'];

/** The request shapes of AuthZEN 1.0 (§5–§8), for the document and a first check. */
const Str = { type: 'string', minLength: 1 } as const;
const Props = { type: 'object', additionalProperties: true } as const;
const FullEntity = {
  type: 'object',
  required: ['type', 'id'],
  properties: { type: Str, id: Str, properties: Props },
} as const;
const TypedEntity = {
  type: 'object',
  required: ['type'],
  properties: { type: Str, id: { type: 'string' }, properties: Props },
} as const;
const ActionIn = {
  type: 'object',
  required: ['name'],
  properties: { name: Str, properties: Props },
} as const;
const Page = {
  type: 'object',
  properties: { limit: { type: 'integer', minimum: 0 }, token: { type: 'string' } },
} as const;
const BODIES = {
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

/**
 * The AuthZEN Authorization API 1.0 endpoints (§6–§8, HTTPS JSON binding §10.1). Bodies are
 * read by hand rather than by a route schema: unknown members must be ignored, and a malformed
 * item of a batch is that item's error, not the whole request's.
 */
export function authzenRoutes(options: AuthzenRouteOptions): FastifyPluginAsync {
  return async (app) => {
    app.setErrorHandler(async (error: FastifyError, request, reply) => {
      // The certification scenario (§C-2.4.3) expects 400, not 415, for a body that is not
      // application/json; §10.1.4 lists 400 as the error for a bad request.
      if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        return options.errorHandler(
          new ApiError('invalid_request', 'The request body must be application/json') as never,
          request,
          reply,
        );
      }
      if (error instanceof AuthzenRequestError) {
        return options.errorHandler(
          new ApiError('validation_failed', error.message, { errors: error.errors }) as never,
          request,
          reply,
        );
      }
      return options.errorHandler(error, request, reply);
    });
    // §10.1.5: the PDP MUST include the PEP's request identifier, unchanged, in the response.
    app.addHook('onSend', async (request, reply) => {
      const id = request.headers['x-request-id'];
      if (typeof id === 'string') reply.header('x-request-id', id);
    });

    const route = (
      kind: keyof typeof BODIES,
      operationId: string,
      summary: string,
      response: object,
    ) => ({
      config: options.configFor(AUTHZEN_PATHS[kind]),
      schema: {
        tags: TAGS,
        operationId,
        summary,
        security: SECURED,
        body: BODIES[kind],
        response: { 200: response, ...problems(400, 401, 403, 503) },
      },
    });

    app.post(
      AUTHZEN_PATHS.evaluation,
      route('evaluation', 'accessEvaluation', 'AuthZEN access evaluation (§6)', DecisionSchema),
      async (request) => options.engineFor(request).evaluate(readEvaluation(request.body)),
    );

    app.post(
      AUTHZEN_PATHS.evaluations,
      route('evaluations', 'accessEvaluations', 'AuthZEN access evaluations, a batch (§7)', {
        type: 'object',
        properties: {
          decision: { type: 'boolean' },
          context: AnyObject,
          evaluations: { type: 'array', items: DecisionSchema },
        },
      }),
      async (request) => {
        const engine = options.engineFor(request);
        const batch = readBatch(request.body);
        // §7.1: no or an empty `evaluations` array is a single evaluation.
        if (!batch.items) return engine.evaluate(readEvaluation(request.body));
        return { evaluations: await runBatch({ ...batch, items: batch.items }, engine) };
      },
    );

    const searchResponse = (item: object) => ({
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
    const Entity = {
      type: 'object',
      required: ['type', 'id'],
      properties: { type: { type: 'string' }, id: { type: 'string' } },
    };
    const ActionName = {
      type: 'object',
      required: ['name'],
      properties: { name: { type: 'string' } },
    };
    const searches: [SearchKind, object][] = [
      ['subject', Entity],
      ['resource', Entity],
      ['action', ActionName],
    ];
    for (const [kind, item] of searches) {
      app.post(
        AUTHZEN_PATHS[kind],
        route(
          kind,
          `search${kind[0]?.toUpperCase()}${kind.slice(1)}`,
          `AuthZEN ${kind} search (§8)`,
          searchResponse(item),
        ),
        async (request) => {
          const search = readSearch(kind, request.body);
          const engine = options.engineFor(request);
          const results: object[] =
            kind === 'subject'
              ? await engine.searchSubjects(search)
              : kind === 'resource'
                ? await engine.searchResources(search)
                : await engine.searchActions(search);
          return paginate(requestObject(request.body), pageOf(request.body), results);
        },
      );
    }
  };
}

/** PDP metadata (AuthZEN 1.0 §9): the endpoints under the API's public base URL. */
export function authzenMetadata(base: string) {
  const root = base.replace(/\/+$/, '');
  return {
    policy_decision_point: root,
    access_evaluation_endpoint: `${root}${AUTHZEN_PATHS.evaluation}`,
    access_evaluations_endpoint: `${root}${AUTHZEN_PATHS.evaluations}`,
    search_subject_endpoint: `${root}${AUTHZEN_PATHS.subject}`,
    search_resource_endpoint: `${root}${AUTHZEN_PATHS.resource}`,
    search_action_endpoint: `${root}${AUTHZEN_PATHS.action}`,
  };
}

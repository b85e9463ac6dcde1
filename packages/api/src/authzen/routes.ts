import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../http/problem.js';
import { problems } from '../schemas/common.js';
import { SECURED } from '../schemas/security.js';
import { runBatch } from './batch.js';
import type { Engine, SearchFound } from './engine.js';
import type { SearchKind } from './model.js';
import { pageRequest, pageResponse } from './page.js';
import {
  ActionName,
  BODIES,
  DecisionSchema,
  Entity,
  EvaluationsSchema,
  searchResponse,
} from './schemas.js';
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

const TAGS = ['authzen'];

/**
 * AuthZEN 1.0 §10.1.3: "If the PEP specified a request identifier in the request, the PDP MUST
 * include the same identifier in the response", unchanged, even one the app would not take as
 * its own request id (which the app-wide hook echoes otherwise).
 */
export async function echoRequestId(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const id = request.headers['x-request-id'];
  if (typeof id === 'string') reply.header('x-request-id', id);
}

/** Maps AuthZEN's request errors onto the app's problems, then hands every failure to the app. */
function authzenErrors(options: AuthzenRouteOptions) {
  return async (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    // The certification scenario (§C-2.4.3) expects 400, not 415, for a body that is not
    // application/json; §10.1.2 lists 400 as the error for a bad request.
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
  };
}

/** What each endpoint does, for its description in the OpenAPI document. */
const DOES: Record<keyof typeof BODIES, string> = {
  evaluation:
    'Whether a subject may take an action on a resource, decided by the same authorization core as the REST routes: `{"decision": true}` or `false`, with a `context` saying why when refused.',
  evaluations:
    "Several decisions in one request, with `options.evaluations_semantic` `execute_all` (the default), `deny_on_first_deny` or `permit_on_first_permit`; the top-level subject, action, resource and context are each item's defaults, and a malformed item is that item's error, not the request's. Without `evaluations` (or with an empty one) it is a single evaluation.",
  subject:
    'The subjects that may take the action on the resource, a page at a time (`page.next_token`, at most 1,000 results a page).',
  resource:
    'The resources of a type the subject may take the action on, a page at a time (`page.next_token`, at most 1,000 results a page).',
  action: 'The actions the subject may take on the resource, a page at a time (`page.next_token`).',
};

/** Who may call the AuthZEN endpoints, and their common refusals. */
const WHO_MAY_ASK =
  "Needs `authz:evaluate`, through one of the product's own clients (an AI assistant's token is 403). Unknown members are ignored; a request the specification does not allow is 400. `X-Request-ID` is echoed.";

/**
 * The AuthZEN Authorization API 1.0 endpoints (§6–§8, HTTPS JSON binding §10.1). Bodies are
 * read by hand rather than by a route schema: unknown members must be ignored, and a malformed
 * item of a batch is that item's error, not the whole request's.
 */
export function authzenRoutes(options: AuthzenRouteOptions): FastifyPluginAsync {
  return async (app) => {
    app.setErrorHandler(authzenErrors(options));
    app.addHook('onSend', echoRequestId);

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
        description: `${DOES[kind]} ${WHO_MAY_ASK}`,
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
      route(
        'evaluations',
        'accessEvaluations',
        'AuthZEN access evaluations, a batch (§7)',
        EvaluationsSchema,
      ),
      async (request) => {
        const engine = options.engineFor(request);
        const batch = readBatch(request.body);
        // §7.1: no or an empty `evaluations` array is a single evaluation.
        if (!batch.items) return engine.evaluate(readEvaluation(request.body));
        return { evaluations: await runBatch({ ...batch, items: batch.items }, engine) };
      },
    );

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
        async (request, reply) => {
          const search = readSearch(kind, request.body);
          const page = pageRequest(kind, requestObject(request.body), pageOf(request.body));
          const engine = options.engineFor(request);
          const found: SearchFound<object> =
            kind === 'subject'
              ? await engine.searchSubjects(search, page)
              : kind === 'resource'
                ? await engine.searchResources(search, page)
                : await engine.searchActions(search, page);
          // §8.3: "It is RECOMMENDED that the `page` object be the first key in the response";
          // the schema's serializer writes required members (`results`) first, so the
          // response is written in the order it is built.
          reply.type('application/json; charset=utf-8').serializer(JSON.stringify);
          return pageResponse(page, found);
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

import * as z from 'zod';
import { AccessRequestSchema } from '../domain/accessRequest';
import { ExtensionRequestSchema } from '../domain/extensions';
import { GrantPlanSchema } from '../domain/grantPlan';
import { WorkloadEventSchema } from '../domain/auditTrail';
import { AuditEventSchema } from '../domain/requestLifecycle';
import { PlanResponseSchema } from '../usecases/planGrant';
import { WorkloadSummarySchema, WorkloadViewSchema } from '../usecases/readWorkloads';
import { AccessRequestViewSchema, DecisionBodySchema } from './accessRequestView';
import { ErrorResponseSchema } from './errorResponse';

const componentRef = (id: string) => ({ $ref: `#/components/schemas/${id}` });

function errorResponse(description: string) {
  return { description, content: { 'application/json': { schema: componentRef('ErrorResponse') } } };
}

/** A 503: retry after the seconds Retry-After names. */
function retryableResponse(description: string) {
  return {
    ...errorResponse(description),
    headers: {
      'Retry-After': {
        description: 'Seconds to wait before retrying the same request.',
        required: true,
        schema: { type: 'integer', minimum: 1 },
      },
    },
  };
}

/** What any authenticated route may answer when a dependency (DynamoDB, EKS, IAM, STS, S3, Lambda, Kubernetes) fails. */
const dependencyErrors = {
  '502': errorResponse(
    "A dependency refused the broker itself (its IAM permissions, a spoke's trust, RBAC): not retryable, an operator must fix it. `details` carries the dependency's code (`awsError`, or `status` for Kubernetes).",
  ),
  '503': retryableResponse('A dependency did not answer in time, was throttled or failed on its side: retry after Retry-After seconds.'),
};

type Operation = { security?: unknown[]; responses: Record<string, unknown> };

/** Adds the dependency errors to every authenticated operation that does not describe them itself. */
function withDependencyErrors<Paths extends Record<string, Record<string, unknown>>>(paths: Paths): Paths {
  return Object.fromEntries(
    Object.entries(paths).map(([path, operations]) => [
      path,
      Object.fromEntries(
        Object.entries(operations).map(([method, operation]) => {
          const { security, responses } = operation as Operation;
          return [method, security?.length ? { ...(operation as Operation), responses: { ...dependencyErrors, ...responses } } : operation];
        }),
      ),
    ]),
  ) as Paths;
}

const SHARED = '__shared';

/**
 * JSON Schemas of every schema that carries an `id`, generated from the same zod schemas that
 * validate requests, so the document cannot drift from the code. Schemas zod files under a shared
 * "$defs" entry are hoisted to components of their own.
 */
function componentSchemas(): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const schema of [
    AccessRequestSchema,
    GrantPlanSchema,
    PlanResponseSchema,
    WorkloadViewSchema,
    WorkloadSummarySchema,
    ErrorResponseSchema,
    AccessRequestViewSchema,
    AuditEventSchema,
    WorkloadEventSchema,
    DecisionBodySchema,
    ExtensionRequestSchema,
  ]) {
    registry.add(schema, { id: z.globalRegistry.get(schema)?.id as string });
  }
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  });
  const { [SHARED]: shared, ...named } = schemas as Record<string, { $defs?: Record<string, unknown> }>;
  const all: Record<string, unknown> = { ...named, ...(shared?.$defs ?? {}) };
  const hoisted = JSON.parse(JSON.stringify(all).replaceAll(`#/components/schemas/${SHARED}#/$defs/`, '#/components/schemas/')) as Record<
    string,
    unknown
  >;
  return Object.fromEntries(
    Object.entries(hoisted).map(([id, schema]) => {
      const { $schema: _dialect, $id: _id, ...rest } = schema as Record<string, unknown>;
      return [id, rest];
    }),
  );
}

const json = (id: string, description: string) => ({ description, content: { 'application/json': { schema: componentRef(id) } } });
/** A page of a list: its items (under `key`) and, unless it is the last, an opaque cursor. */
const pageOf = (id: string, key = 'items', description = 'A page.') => ({
  description,
  content: {
    'application/json': {
      schema: { type: 'object', properties: { [key]: { type: 'array', items: componentRef(id) }, nextCursor: { type: 'string' } } },
    },
  },
});
const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const authenticated = [{ portalJwt: [] }, { sigv4: [] }];
/** Routes anyone may call: said explicitly, so that no operation's security is left to a default. */
const anonymous: never[] = [];
const authErrors = { '401': errorResponse('No caller identity.'), '404': errorResponse('No such access request.') };

function decision(operationId: string, summary: string, extra: Record<string, unknown> = {}) {
  return {
    post: {
      operationId,
      summary,
      security: authenticated,
      parameters: [idParameter],
      requestBody: { required: false, content: { 'application/json': { schema: componentRef('DecisionBody') } } },
      responses: {
        '200': json('AccessRequestView', 'The request after the decision.'),
        ...authErrors,
        '403': errorResponse('The caller may not make this decision (not an approver, self-approval, not the requester).'),
        '409': errorResponse('Illegal transition (the message names the current state) or a repeated approval.'),
        '422': errorResponse('Invalid body.'),
        ...extra,
      },
    },
  };
}

const eventPageParameters = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 } },
  { name: 'cursor', in: 'query', schema: { type: 'string' } },
];

const accessRequestPaths = {
  '/access-requests': {
    post: {
      operationId: 'submitAccessRequest',
      summary:
        'Submit an access request. Honours Idempotency-Key: the same caller, key and body → the same request, whatever failed before; same key, other body → 409.',
      security: authenticated,
      parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 } }],
      requestBody: { required: true, content: { 'application/json': { schema: componentRef('AccessRequest') } } },
      responses: {
        '201': json('AccessRequestView', 'The stored request: pending, or active when an auto-approval rule covered it.'),
        '400': errorResponse('Malformed JSON.'),
        '401': errorResponse('No caller identity.'),
        '403': errorResponse("No rule covers the namespace, or the caller's groups do not own it."),
        '404': errorResponse('Unknown cluster.'),
        '409': errorResponse('Idempotency-Key reused with another body (IDEMPOTENCY_KEY_REUSED).'),
        '415': errorResponse('Not application/json.'),
        '422': errorResponse(
          'Schema, rule (duration) or IAM limit violation, or a request too large to store (REQUEST_ITEM_TOO_LARGE, STORE_ITEM_TOO_LARGE).',
        ),
      },
    },
    get: {
      operationId: 'listAccessRequests',
      summary: 'Access requests, newest first, filtered and paginated with an opaque cursor.',
      security: authenticated,
      parameters: [
        { name: 'status', in: 'query', schema: { type: 'string' } },
        { name: 'cluster', in: 'query', schema: { type: 'string' } },
        { name: 'namespace', in: 'query', schema: { type: 'string' } },
        { name: 'requester', in: 'query', schema: { type: 'string' } },
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
        { name: 'cursor', in: 'query', schema: { type: 'string' } },
      ],
      responses: {
        '200': pageOf('AccessRequestView'),
        '400': errorResponse('A cursor this API did not issue, or one from a list with other filters.'),
        '401': errorResponse('No caller identity.'),
        '422': errorResponse('Invalid filter.'),
      },
    },
  },
  '/access-requests/{id}': {
    get: {
      operationId: 'getAccessRequest',
      summary: 'One access request: its status, plan, approvals and grant.',
      security: authenticated,
      parameters: [idParameter],
      responses: { '200': json('AccessRequestView', 'The request.'), ...authErrors },
    },
  },
  '/access-requests/{id}/approve': decision(
    'approveAccessRequest',
    'Approve; the approval that completes the required count activates the grant. On an active grant with a pending extension, it counts toward the extension.',
  ),
  '/access-requests/{id}/reject': decision(
    'rejectAccessRequest',
    'Reject, with a comment saying why. On an active grant with a pending extension, rejects the extension; the grant stays as it was.',
  ),
  '/access-requests/{id}/cancel': decision('cancelAccessRequest', 'The requester withdraws a pending request.'),
  '/access-requests/{id}/revoke': decision('revokeAccessRequest', 'End a grant (requester or an approver).', {
    '202': json(
      'AccessRequestView',
      'The revoke is recorded (status revoking: nothing can be created for the grant any more); removal waits for the workload and the sweep finishes it. Sending the revoke again finishes it too.',
    ),
  }),
  '/access-requests/{id}/extend': {
    post: {
      operationId: 'extendAccessRequest',
      summary:
        'More time for an active grant (requester or a namespace owner), counted from when it is granted. Auto-approval applies as at submit; otherwise approvers decide with /approve and /reject.',
      security: authenticated,
      parameters: [idParameter],
      requestBody: { required: true, content: { 'application/json': { schema: componentRef('ExtensionRequest') } } },
      responses: {
        '200': json('AccessRequestView', 'The grant: extended (a new expiresAt), or with the pending `extension`.'),
        '400': errorResponse('Malformed JSON.'),
        ...authErrors,
        '403': errorResponse('Neither the requester nor a member of the owner groups.'),
        '409': errorResponse('The grant is not active (the message names the state), or an extension is already pending.'),
        '415': errorResponse('Not application/json.'),
        '422': errorResponse("Invalid body, a duration over the rule's maximum, or one that would not extend the grant."),
      },
    },
  },
  '/access-requests/{id}/retry': {
    post: {
      operationId: 'retryAccessRequest',
      summary: 'Send a failed (or stuck approved) grant back to provisioning; it runs asynchronously.',
      security: authenticated,
      parameters: [idParameter],
      responses: {
        '202': json('AccessRequestView', 'Provisioning was handed over; follow the request and its events.'),
        ...authErrors,
        '403': errorResponse('Neither the requester nor an approver.'),
        '409': errorResponse('The request is neither failed nor approved.'),
      },
    },
  },
  '/access-requests/{id}/verify': {
    post: {
      operationId: 'verifyAccessRequest',
      summary:
        "Prove an active grant the way its pod uses it: a ServiceAccount token (TokenRequest), AssumeRoleWithWebIdentity, then the S3 calls its levels allow. The result is the request's `verification` (passed, failed with the AWS error code, or partial) and an audit event.",
      security: authenticated,
      parameters: [idParameter],
      responses: {
        '200': json('AccessRequestView', 'Verified; see `verification`.'),
        ...authErrors,
        '403': errorResponse('Neither the requester nor an approver.'),
        '409': errorResponse('The request is not active.'),
      },
    },
  },
  '/access-requests/{id}/events': {
    get: {
      operationId: 'getAccessRequestEvents',
      summary: 'The append-only audit trail, oldest first, a page at a time (follow nextCursor until it is absent).',
      security: authenticated,
      parameters: [idParameter, ...eventPageParameters],
      responses: {
        '200': pageOf('AuditEvent', 'events', 'A page of events, oldest first.'),
        '400': errorResponse('A cursor this API did not issue, or one issued for another trail (INVALID_CURSOR).'),
        ...authErrors,
        '422': errorResponse('Invalid limit.'),
      },
    },
  },
  '/access-requests/{id}/manifest': {
    get: {
      operationId: 'getAccessRequestManifest',
      summary: "The grant's ServiceAccount manifest; header x-irsa-broker-grant-mode says plan-only or provisioned.",
      security: authenticated,
      parameters: [idParameter],
      responses: {
        '200': { description: 'The manifest.', content: { 'application/yaml': { schema: { type: 'string' } } } },
        ...authErrors,
        '409': errorResponse('The grant is not active.'),
      },
    },
  },
};

const workloadParameters = ['cluster', 'namespace', 'serviceAccount'].map((name) => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string' },
}));

const workloadPaths = {
  '/workloads': {
    get: {
      operationId: 'listWorkloads',
      summary: 'Workloads with grants (one IAM role each), filtered by cluster and namespace, paginated with an opaque cursor.',
      security: authenticated,
      parameters: [
        { name: 'cluster', in: 'query', schema: { type: 'string' } },
        { name: 'namespace', in: 'query', schema: { type: 'string' } },
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
        { name: 'cursor', in: 'query', schema: { type: 'string' } },
      ],
      responses: {
        '200': pageOf('WorkloadSummary'),
        '400': errorResponse('A cursor this API did not issue, or one from a list with other filters.'),
        '401': errorResponse('No caller identity.'),
        '422': errorResponse('Invalid filter.'),
      },
    },
  },
  '/workloads/{cluster}/{namespace}/{serviceAccount}': {
    get: {
      operationId: 'getWorkload',
      summary: "A workload: role ARN, binding, active grants with their expiry, and the effective permissions (the union of its grants').",
      security: authenticated,
      parameters: workloadParameters,
      responses: {
        '200': json('WorkloadView', 'The workload.'),
        '401': errorResponse('No caller identity.'),
        '404': errorResponse('No workload of that name has grants.'),
      },
    },
  },
  '/workloads/{cluster}/{namespace}/{serviceAccount}/events': {
    get: {
      operationId: 'getWorkloadEvents',
      summary: "A workload's history across all its requests (grants), in time order, a page at a time.",
      security: authenticated,
      parameters: [...workloadParameters, ...eventPageParameters],
      responses: {
        '200': pageOf('WorkloadEvent', 'events', 'A page of events, oldest first.'),
        '400': errorResponse('A cursor this API did not issue, or one issued for another workload (INVALID_CURSOR).'),
        '401': errorResponse('No caller identity.'),
        '422': errorResponse('Invalid cluster, namespace, ServiceAccount name or limit.'),
      },
    },
  },
};

/** The broker's OpenAPI 3.1 document. */
export function makeOpenApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'irsa-broker',
      version,
      description: 'Self-service IAM roles for EKS workloads (IRSA): plan, request, approve, provision and deliver.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    // Relative: the document is served by the API it describes, wherever that is deployed.
    servers: [{ url: '/', description: 'The API that serves this document.' }],
    paths: withDependencyErrors({
      '/plans': {
        post: {
          operationId: 'createPlan',
          summary: 'Dry run: everything the broker would create for an access request, creating nothing.',
          security: authenticated,
          requestBody: { required: true, content: { 'application/json': { schema: componentRef('AccessRequest') } } },
          responses: {
            '200': {
              description:
                'The plan, with what it meets on its workload (existing grants, what this request adds, attached policies against the quota). With `Accept: application/yaml`, only the ServiceAccount manifest.',
              content: {
                'application/json': { schema: componentRef('PlanResponse') },
                'application/yaml': { schema: { type: 'string' } },
              },
            },
            '400': errorResponse('The body is not valid JSON.'),
            '401': errorResponse('No caller identity.'),
            '404': errorResponse('The cluster is not configured.'),
            '409': errorResponse("The request's trust differs from its workload's (WORKLOAD_TRUST_MISMATCH)."),
            '406': errorResponse('The Accept header names no media type the route offers.'),
            '415': errorResponse('The body is not application/json.'),
            '422': errorResponse('The request breaks the schema, a broker rule or an IAM limit.'),
            '503': retryableResponse('A dependency (EKS, DynamoDB) did not answer: retry after Retry-After seconds.'),
          },
        },
      },
      ...accessRequestPaths,
      ...workloadPaths,
      '/openapi.json': {
        get: {
          operationId: 'getOpenApi',
          summary: 'This document.',
          security: anonymous,
          responses: { '200': { description: 'OpenAPI 3.1 document.' } },
        },
      },
      '/docs': {
        get: {
          operationId: 'getDocs',
          summary: 'This document as an API reference page (Swagger UI, served with the API: no CDN).',
          security: anonymous,
          responses: { '200': { description: 'An HTML page.', content: { 'text/html': { schema: { type: 'string' } } } } },
        },
      },
      '/healthz': {
        get: {
          operationId: 'getHealth',
          summary: 'Liveness.',
          security: anonymous,
          responses: { '200': { description: 'The API is up.' } },
        },
      },
    }),
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        portalJwt: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: "A token from the organisation's identity provider.",
        },
        sigv4: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'AWS SigV4 (execute-api), on the /iam/ copies of these routes.',
        },
      },
    },
  };
}

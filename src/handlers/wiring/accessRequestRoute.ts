import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { toAccessRequestView, type AccessRequestView } from '../../api/accessRequestView';
import { NotFoundError } from '../../domain/errors';
import type { AccessRequestRecord } from '../../domain/requestLifecycle';
import { readerOf } from '../../usecases/getAccessRequest';
import { loadBrokerConfig } from '../../config';
import { callerIdentity, type IdentifiedEvent } from '../../middleware/callerIdentity';
import { httpErrorResponse } from '../../middleware/httpErrorResponse';
import { jsonBody } from '../../middleware/jsonBody';
import type { AccessRequestDeps } from '../../usecases/accessRequestDeps';
import { accessRequestDeps } from './accessRequestDeps';

export type RouteEvent = IdentifiedEvent<Omit<APIGatewayProxyEventV2, 'body'> & { body: unknown }>;
type Route<Deps> = (event: RouteEvent, deps: Deps, context: Context) => Promise<APIGatewayProxyResultV2>;

const ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The `{id}` path parameter; anything that is not an id we issue is simply not found. */
export function requestIdParameter(event: RouteEvent): string {
  const id = event.pathParameters?.id ?? '';
  if (!ID_PATTERN.test(id)) throw new NotFoundError('ACCESS_REQUEST_NOT_FOUND', `no access request ${id.slice(0, 64)}`);
  return id;
}

/**
 * An authenticated access-request route: errors mapped, caller identified, JSON body parsed where
 * the route takes one (`body: 'optional'` reads a missing body as `{}`).
 */
export function accessRequestRoute<Deps = AccessRequestDeps>(
  route: Route<Deps>,
  { body, deps = accessRequestDeps as unknown as () => Deps }: { body?: 'required' | 'optional'; deps?: () => Deps } = {},
) {
  const handler = middy<RouteEvent, APIGatewayProxyResultV2>()
    .use(httpErrorResponse())
    .use(callerIdentity(() => loadBrokerConfig().identity) as unknown as middy.MiddlewareObj<RouteEvent>);
  if (body) handler.use(jsonBody({ optional: body === 'optional' }) as unknown as middy.MiddlewareObj<RouteEvent>);
  return handler.handler((event, context) => route(event, deps(), context));
}

/** A request as the route's caller may see it (other people's emails and groups only for approvers and auditors). */
export function viewFor(record: AccessRequestRecord, event: RouteEvent): AccessRequestView {
  return toAccessRequestView(record, readerOf(record, event.caller, { config: loadBrokerConfig() }).reader);
}

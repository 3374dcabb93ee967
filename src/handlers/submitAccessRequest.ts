import * as z from 'zod';
import { makeIdempotentSubmit } from '../adapters/aws/idempotentSubmit';
import { headerValue } from '../api/headers';
import { jsonResponse } from '../api/responses';
import { parseInput } from '../domain/parseInput';
import { submitAccessRequest } from '../usecases/submitAccessRequest';
import { dynamoClient, tableName } from './wiring/accessRequestDeps';
import { accessRequestRoute, viewFor } from './wiring/accessRequestRoute';

const IdempotencyKeySchema = z.string().regex(/^[\x21-\x7e]{1,255}$/, 'must be 1 to 255 visible ASCII characters');

let submitOnce: ReturnType<typeof makeIdempotentSubmit> | undefined;

/** POST /access-requests (honours Idempotency-Key) */
export const handler = accessRequestRoute(
  async (event, deps, context) => {
    const key = headerValue(event.headers, 'idempotency-key');
    let record;
    if (key === undefined) {
      record = await submitAccessRequest(event.body, event.caller, deps);
    } else {
      submitOnce ??= makeIdempotentSubmit(({ body, caller }) => submitAccessRequest(body, caller, deps), dynamoClient(), tableName());
      const input = { caller: event.caller, body: event.body, key: parseInput(IdempotencyKeySchema, key, 'Idempotency-Key header') };
      record = await submitOnce(input, context);
    }
    const response = jsonResponse(201, viewFor(record, event));
    return { ...response, headers: { ...response.headers, location: `/access-requests/${record.id}` } };
  },
  { body: 'required' },
);

import * as z from 'zod';
import { headerValue } from '../api/headers';
import { jsonResponse } from '../api/responses';
import { parseInput } from '../domain/parseInput';
import { submitAccessRequest } from '../usecases/submitAccessRequest';
import { accessRequestRoute, viewFor } from './wiring/accessRequestRoute';

const IdempotencyKeySchema = z.string().regex(/^[\x21-\x7e]{1,255}$/, 'must be 1 to 255 visible ASCII characters');

/** POST /access-requests (honours Idempotency-Key: the same caller and key always answer with the same request) */
export const handler = accessRequestRoute(
  async (event, deps) => {
    const key = headerValue(event.headers, 'idempotency-key');
    const options = key === undefined ? {} : { idempotencyKey: parseInput(IdempotencyKeySchema, key, 'Idempotency-Key header') };
    const record = await submitAccessRequest(event.body, event.caller, deps, options);
    const response = jsonResponse(201, viewFor(record, event));
    return { ...response, headers: { ...response.headers, location: `/access-requests/${record.id}` } };
  },
  { body: 'required' },
);

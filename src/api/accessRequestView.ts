import * as z from 'zod';
import { AccessRequestRecordSchema, type AccessRequestRecord } from '../domain/requestLifecycle';

/** An access request as the API shows it: everything but the audit trail, which has its own route. */
export const AccessRequestViewSchema = AccessRequestRecordSchema.omit({ events: true }).meta({ id: 'AccessRequestView' });
export type AccessRequestView = z.infer<typeof AccessRequestViewSchema>;

export function toAccessRequestView(record: AccessRequestRecord): AccessRequestView {
  const { events: _events, ...view } = record;
  return view;
}

/** Body of approve, reject, cancel and revoke. */
export const DecisionBodySchema = z
  .object({ comment: z.string().max(1000).optional() })
  .strict()
  .meta({ id: 'DecisionBody' });

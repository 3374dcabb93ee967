import * as z from 'zod';
import { iamPrincipalKey } from './person';

/** How the caller proved who they are. */
export const IdentitySource = { Jwt: 'jwt', Iam: 'iam', Slack: 'slack', System: 'system' } as const;
export type IdentitySource = (typeof IdentitySource)[keyof typeof IdentitySource];

/** Who is calling: a stable subject, an optional email and the groups rules are written against. */
export const CallerIdentitySchema = z
  .object({
    subject: z.string().min(1),
    email: z.string().optional(),
    groups: z.array(z.string()),
    source: z.enum([IdentitySource.Jwt, IdentitySource.Iam, IdentitySource.Slack, IdentitySource.System]),
    /** The person config joins this identity to (people map or email); absent when it joins none. */
    person: z.string().optional(),
  })
  .meta({ id: 'CallerIdentity' });
export type CallerIdentity = z.infer<typeof CallerIdentitySchema>;

/** The broker itself, for decisions rules make (auto-approval, expiry). */
export const SYSTEM_IDENTITY: CallerIdentity = { subject: 'irsa-broker', groups: [], source: IdentitySource.System };

/** What sameness is decided on; approvals and audit actors keep this much of an identity. */
export type PersonClues = Pick<CallerIdentity, 'subject' | 'email' | 'person'> & { source?: IdentitySource };

const principalOf = (identity: PersonClues) => (identity.source === IdentitySource.Iam ? iamPrincipalKey(identity.subject) : undefined);

/**
 * Whether two identities may be one person: the same joined person, subject, email
 * (case-insensitively) or IAM principal (all sessions of one role are one). Any match counts, so
 * a doubt is resolved against self-approval and double counting.
 */
export function isSamePerson(a: PersonClues, b: PersonClues): boolean {
  if (a.person && b.person && a.person === b.person) return true;
  if (a.subject === b.subject) return true;
  const principal = principalOf(a);
  if (principal && principal === principalOf(b)) return true;
  return Boolean(a.email && b.email && a.email.toLowerCase() === b.email.toLowerCase());
}

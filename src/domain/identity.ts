import * as z from 'zod';

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
  })
  .meta({ id: 'CallerIdentity' });
export type CallerIdentity = z.infer<typeof CallerIdentitySchema>;

/** The broker itself, for decisions rules make (auto-approval, expiry). */
export const SYSTEM_IDENTITY: CallerIdentity = { subject: 'irsa-broker', groups: [], source: IdentitySource.System };

/** Two identities are the same person when subject or email match (email case-insensitively). */
export function isSamePerson(a: Pick<CallerIdentity, 'subject' | 'email'>, b: Pick<CallerIdentity, 'subject' | 'email'>): boolean {
  if (a.subject === b.subject) return true;
  return Boolean(a.email && b.email && a.email.toLowerCase() === b.email.toLowerCase());
}

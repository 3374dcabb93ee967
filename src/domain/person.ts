import * as z from 'zod';

const IAM_PRINCIPAL = /^arn:[a-z-]+:(?:iam|sts)::(\d{12}):(role|user|assumed-role)\/(.+)$/;

/** One person's identities at every door: JWT subjects, emails, Slack users and IAM principals. */
export const PersonSchema = z
  .object({
    subjects: z.array(z.string().min(1)).default([]),
    emails: z.array(z.string().min(3)).default([]),
    slackUsers: z.array(z.string().regex(/^[UW][A-Z0-9]+$/, 'must be a Slack user id')).default([]),
    /** Role or user ARNs; every session of a listed role is this person. */
    iamPrincipals: z.array(z.string().regex(/^arn:[a-z-]+:iam::\d{12}:(role|user)\/.+$/, 'must be an IAM role or user ARN')).default([]),
  })
  .strict();
export type Person = z.infer<typeof PersonSchema>;

/** Person id → identities. Each identity may belong to one person only. */
export const PeopleSchema = z
  .record(z.string().regex(/^[A-Za-z0-9_.@-]{1,128}$/, 'must be a person id (letters, digits, "_.@-")'), PersonSchema)
  .superRefine((people, context) => {
    const owner = new Map<string, string>();
    for (const [id, person] of Object.entries(people)) {
      const keys = [
        ...person.subjects.map((subject) => `subject:${subject}`),
        ...person.emails.map((email) => `email:${email.toLowerCase()}`),
        ...person.slackUsers.map((user) => `slack:${user}`),
        ...person.iamPrincipals.map((arn) => `iam:${iamPrincipalKey(arn)}`),
      ];
      for (const key of keys) {
        const other = owner.get(key);
        // One identity joined to two people would let either approve the other's requests.
        if (other && other !== id) context.addIssue({ code: 'custom', path: [id], message: `${key} is already joined to ${other}` });
        owner.set(key, id);
      }
    }
  });
export type People = z.infer<typeof PeopleSchema>;

/**
 * An IAM principal as (account, kind, name): an assumed-role session is the role it assumed, so
 * every session of one role is one principal however its session is named.
 */
export function iamPrincipalKey(arn: string): string | undefined {
  const match = arn.match(IAM_PRINCIPAL);
  if (!match) return undefined;
  const [, account, kind, rest = ''] = match;
  const segments = rest.split('/');
  const name = kind === 'assumed-role' ? segments[0] : segments[segments.length - 1];
  return `${account}:${kind === 'user' ? 'user' : 'role'}:${name}`;
}

/** What a door knows about an identity, for joining it to a person. */
export interface IdentityClues {
  subject?: string;
  email?: string;
  slackUser?: string;
  iamArn?: string;
}

/** How identities are joined to people: the people map first, then (when allowed) a verified email. */
export interface JoinConfig {
  people: People;
  joinByEmail: boolean;
}

/**
 * The person an identity belongs to, or undefined when config cannot join it to anyone. An email
 * joins as `email:<address>` unless the people map names its person.
 */
export function resolvePerson(clues: IdentityClues, join: JoinConfig): string | undefined {
  const email = clues.email?.toLowerCase();
  const principal = clues.iamArn ? iamPrincipalKey(clues.iamArn) : undefined;
  const listed = Object.entries(join.people).find(
    ([, person]) =>
      (clues.subject !== undefined && !clues.iamArn && person.subjects.includes(clues.subject)) ||
      (email !== undefined && person.emails.some((candidate) => candidate.toLowerCase() === email)) ||
      (clues.slackUser !== undefined && person.slackUsers.includes(clues.slackUser)) ||
      (principal !== undefined && person.iamPrincipals.some((arn) => iamPrincipalKey(arn) === principal)),
  );
  if (listed) return listed[0];
  return join.joinByEmail && email ? `email:${email}` : undefined;
}

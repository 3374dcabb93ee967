import { couldHaveRequested, isApprover, type ApprovalRule } from './approvalRules';
import { isSamePerson, type CallerIdentity, type PersonClues } from './identity';

/** Whom the broker lets read: the groups config names as auditors. */
export interface ReadPolicy {
  auditorGroups: readonly string[];
}

/** Something with a requester that a rule governs: an access request, a grant. */
export interface Readable {
  requester: PersonClues;
}

const isAuditor = (caller: CallerIdentity, policy: ReadPolicy) => caller.groups.some((group) => policy.auditorGroups.includes(group));

/**
 * Whether the caller may read a request (its view, events and manifest): its requester, the owners
 * and approvers of its rule, and auditors. Everyone else is told it does not exist. Without a rule
 * (config no longer has it) only the requester and auditors may.
 */
export function canRead(caller: CallerIdentity, rule: ApprovalRule | undefined, readable: Readable, policy: ReadPolicy): boolean {
  if (isSamePerson(readable.requester, caller) || isAuditor(caller, policy)) return true;
  return rule !== undefined && (couldHaveRequested(rule, caller) || isApprover(rule, caller));
}

/**
 * Whether the caller sees other people's emails, groups and person ids: approvers (who must know
 * whom they approve) and auditors. Owners read what was asked, not who everyone is.
 */
export function seesPeople(caller: CallerIdentity, rule: ApprovalRule | undefined, policy: ReadPolicy): boolean {
  return isAuditor(caller, policy) || (rule !== undefined && isApprover(rule, caller));
}

import type * as z from 'zod';
import { AccessRequestSchema, type AccessRequestInput } from '../../src/domain/accessRequest';
import { ApprovalRuleSchema, type ApprovalRule } from '../../src/domain/approvalRules';
import { findCluster, type BrokerConfig } from '../../src/domain/brokerConfig';
import { makeGrantPlan } from '../../src/domain/grantPlan';
import type { CallerIdentity } from '../../src/domain/identity';
import { RequestStatus, submittedEvent, type AccessRequestRecord } from '../../src/domain/requestLifecycle';
import { makeTestConfig } from './brokerConfig';
import { serviceAccountTemplate } from './serviceAccountTemplate';

const HOUR_MS = 3_600_000;

/** A requester: owns the payments namespace. */
export const alice: CallerIdentity = { subject: 'alice', email: 'alice@example.com', groups: ['team-payments'], source: 'jwt' };
/** An approver of the payments rule. */
export const bob: CallerIdentity = { subject: 'bob', email: 'bob@example.com', groups: ['payments-leads'], source: 'jwt' };
/** A second approver of the payments rule. */
export const carol: CallerIdentity = { subject: 'carol', groups: ['payments-leads'], source: 'jwt' };
/** Neither owner nor approver of payments. */
export const mallory: CallerIdentity = { subject: 'mallory', groups: ['team-marketing'], source: 'jwt' };

/** The instant test records are submitted at. */
export const SUBMITTED_AT = new Date('2030-01-01T09:00:00.000Z');

/** An approval rule for the payments namespace; overrides go through the real schema and its defaults. */
export function makeRule(overrides: Partial<z.input<typeof ApprovalRuleSchema>> = {}): ApprovalRule {
  return ApprovalRuleSchema.parse({
    id: 'payments',
    namespaces: ['payments'],
    ownerGroups: ['team-payments'],
    approverGroups: ['payments-leads'],
    ...overrides,
  });
}

/** A valid access request body for the dev cluster, parsed with the real schema. */
export function makeRequestInput(overrides: Partial<AccessRequestInput> = {}): AccessRequestInput {
  return {
    cluster: 'dev',
    namespace: 'payments',
    serviceAccount: 'invoice-exporter',
    grants: [{ type: 's3', bucket: 'acme-invoices', prefix: 'exports', level: 'read-write' }],
    ...overrides,
  };
}

export interface RecordOptions {
  id?: string;
  request?: Partial<AccessRequestInput>;
  rule?: ApprovalRule;
  requester?: CallerIdentity;
  config?: BrokerConfig;
  durationHours?: number;
  at?: Date;
}

/** A pending access request exactly as submitAccessRequest would store it, built without I/O. */
export function makeAccessRequestRecord(options: RecordOptions = {}): AccessRequestRecord {
  const id = options.id ?? 'req-0001';
  const rule = options.rule ?? makeRule();
  const config = options.config ?? makeTestConfig({ approvalRules: [rule] });
  const at = options.at ?? SUBMITTED_AT;
  const requester = options.requester ?? alice;
  const request = AccessRequestSchema.parse(makeRequestInput(options.request));
  const cluster = findCluster(config, request.cluster);
  if (!cluster?.oidcIssuer) throw new Error(`test config has no cluster ${request.cluster} with an issuer`);
  const plan = makeGrantPlan({ request, cluster, issuerUrl: cluster.oidcIssuer, config, serviceAccountTemplate, requestId: id });
  return {
    id,
    version: 1,
    status: RequestStatus.Pending,
    request,
    requester,
    ruleId: rule.id,
    durationHours: options.durationHours ?? request.durationHours ?? rule.maxDurationHours,
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
    pendingUntil: new Date(at.getTime() + rule.pendingTimeoutHours * HOUR_MS).toISOString(),
    approvals: [],
    plan,
    events: [submittedEvent(requester, at)],
  };
}

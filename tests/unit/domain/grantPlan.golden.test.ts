import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AccessRequestSchema, type AccessRequestInput } from '../../../src/domain/accessRequest';
import { findCluster } from '../../../src/domain/brokerConfig';
import { makeGrantPlan } from '../../../src/domain/grantPlan';
import type { Partition } from '../../../src/domain/names';
import { makeTestConfig } from '../../support/brokerConfig';
import { serviceAccountTemplate } from '../../support/serviceAccountTemplate';

const GOLDEN_DIR = join(__dirname, '../../fixtures/plans');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const cases: Record<string, { request: AccessRequestInput; allowSubjectPatterns?: boolean; partition?: Partition }> = {
  'one-bucket-read': {
    request: {
      cluster: 'dev',
      namespace: 'analytics',
      serviceAccount: 'report-reader',
      grants: [{ type: 's3', bucket: 'acme-reports', level: 'read' }],
    },
  },
  'bucket-prefix-write': {
    request: {
      cluster: 'dev',
      namespace: 'ingest',
      serviceAccount: 'uploader',
      grants: [{ type: 's3', bucket: 'acme-landing', prefix: 'incoming/partner-a', level: 'write' }],
      manifest: { stsRegionalEndpoints: true, tokenExpirationSeconds: 3600 },
    },
  },
  'several-grants': {
    request: {
      cluster: 'dev',
      namespace: 'payments',
      serviceAccount: 'invoice-exporter',
      grants: [
        { type: 'managed-policy', arn: 'arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess' },
        { type: 's3', bucket: 'acme-invoices', prefix: 'exports/', level: 'read-write' },
        { type: 's3', bucket: 'acme-archive', level: 'list' },
        { type: 's3', bucket: 'acme-invoices', prefix: 'exports/', level: 'read' },
      ],
    },
  },
  'partition-aws-cn': {
    partition: 'aws-cn',
    request: {
      cluster: 'beijing',
      namespace: 'web',
      serviceAccount: 'assets',
      grants: [{ type: 's3', bucket: 'acme-assets-cn', level: 'read' }],
    },
  },
  'partition-aws-us-gov': {
    partition: 'aws-us-gov',
    request: {
      cluster: 'govcloud',
      namespace: 'records',
      serviceAccount: 'archiver',
      grants: [{ type: 's3', bucket: 'acme-records', prefix: 'y2026', level: 'read-write' }],
    },
  },
  'subject-pattern': {
    allowSubjectPatterns: true,
    request: {
      cluster: 'dev',
      namespace: 'batch',
      serviceAccount: 'job-runner-1',
      serviceAccountPattern: 'job-runner-*',
      grants: [{ type: 's3', bucket: 'acme-batch', prefix: 'jobs/', level: 'read' }],
    },
  },
};

describe('makeGrantPlan golden files', () => {
  it.each(Object.entries(cases))('pins policy, trust and manifest for %s', (name, { request, allowSubjectPatterns, partition }) => {
    const config = makeTestConfig({ allowSubjectPatterns: allowSubjectPatterns ?? false }, partition);
    const parsed = AccessRequestSchema.parse(request);
    const cluster = findCluster(config, parsed.cluster)!;
    const plan = makeGrantPlan({
      request: parsed,
      cluster,
      issuerUrl: cluster.oidcIssuer!,
      config,
      serviceAccountTemplate,
      requestId: 'req-golden',
    });
    const actual = {
      roleArn: plan.role.arn,
      permissionPolicy: plan.permissionPolicy?.document ?? null,
      trustPolicy: plan.role.trustPolicy,
      managedPolicyArns: plan.managedPolicyArns,
      tags: plan.role.tags,
    };
    const jsonPath = join(GOLDEN_DIR, `${name}.json`);
    const yamlPath = join(GOLDEN_DIR, `${name}.serviceaccount.yaml`);
    if (UPDATE || !existsSync(jsonPath)) {
      if (!UPDATE && process.env.CI) throw new Error(`golden file ${jsonPath} is missing; run UPDATE_GOLDEN=1 npx jest golden`);
      mkdirSync(GOLDEN_DIR, { recursive: true });
      writeFileSync(jsonPath, `${JSON.stringify(actual, null, 2)}\n`);
      writeFileSync(yamlPath, plan.serviceAccount.yaml);
    }
    expect(actual).toEqual(JSON.parse(readFileSync(jsonPath, 'utf8')));
    expect(plan.serviceAccount.yaml).toBe(readFileSync(yamlPath, 'utf8'));
  });
});

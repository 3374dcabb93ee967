import fc from 'fast-check';
import { AccessRequestSchema, MAX_GRANTS_PER_REQUEST, type AccessRequestInput } from '../../../src/domain/accessRequest';
import { findCluster, type BrokerConfig, type ClusterConfig } from '../../../src/domain/brokerConfig';
import { checkIamLimits, IamLimits } from '../../../src/domain/checkIamLimits';
import { BrokerError } from '../../../src/domain/errors';
import { GrantPlanSchema, makeGrantPlan, type GrantPlan } from '../../../src/domain/grantPlan';
import { makeRoleName } from '../../../src/domain/makeRoleName';
import { MAX_KEY_PREFIX_LENGTH, partitionOfArn } from '../../../src/domain/names';
import { toErrorResponse } from '../../../src/middleware/httpErrorResponse';
import type { ClusterIssuerSource } from '../../../src/ports';
import { planGrant, type PlanGrantDeps } from '../../../src/usecases/planGrant';
import { makeTestConfig } from '../../support/brokerConfig';
import { FakeBucketInspector, InMemoryAccessRequestStore, InMemoryWorkloadStore } from '../../support/fakes';
import { serviceAccountTemplate } from '../../support/serviceAccountTemplate';

const NUM_RUNS = 300;
const DESCRIBED_ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/DESCRIBED0000000000000000EXAMPLE';
const IAM_ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/** The test config, plus clusters with upper-case and very long names, with subject patterns allowed. */
const propertyConfig: BrokerConfig = makeTestConfig({
  allowSubjectPatterns: true,
  clusters: [
    ...makeTestConfig().clusters,
    {
      name: 'Blue_Team-01',
      region: 'eu-west-1',
      accountId: '111122223333',
      oidcIssuer: 'https://oidc.eks.eu-west-1.amazonaws.com/id/BLUE',
    },
    { name: `Long-${'x'.repeat(95)}`, region: 'eu-central-1', accountId: '111122223333' },
  ],
});

const issuerOf = (cluster: ClusterConfig) => cluster.oidcIssuer ?? DESCRIBED_ISSUER;

// ---- Arbitraries for valid requests, written from the Kubernetes, EKS and S3 naming rules ----

const LOWER_ALNUM = [...'abcdefghijklmnopqrstuvwxyz0123456789'];
const alnum = fc.constantFrom(...LOWER_ALNUM);
const labelChar = fc.constantFrom(...LOWER_ALNUM, '-');
/** A label may not start or end with "-". */
const fixEnds = (label: string) => label.replace(/^-/, 'a').replace(/-$/, 'z');

/** An RFC 1123 label of 1..maxLength characters, often near the maximum. */
const dnsLabel = (maxLength: number) => fc.string({ unit: labelChar, minLength: 1, maxLength, size: 'max' }).map(fixEnds);
const exactLabel = (length: number) => fc.string({ unit: labelChar, minLength: length, maxLength: length }).map(fixEnds);

const namespaceName = fc.oneof(dnsLabel(63), exactLabel(63));

/** Labels joined by ".", kept while the name fits `maxLength`. */
const joinedLabels = (labels: string[], maxLength: number) => {
  const kept: string[] = [];
  let length = -1;
  for (const label of labels) {
    if (length + 1 + label.length > maxLength) break;
    kept.push(label);
    length += 1 + label.length;
  }
  return kept.join('.');
};

const serviceAccountName = fc.oneof(
  fc.array(dnsLabel(63), { minLength: 1, maxLength: 6, size: 'max' }).map((labels) => joinedLabels(labels, 253)),
  fc.tuple(exactLabel(63), exactLabel(63), exactLabel(63), exactLabel(61)).map((labels) => labels.join('.')),
  dnsLabel(12),
);

const S3_RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const S3_RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];
const isAllowedBucketName = (name: string) =>
  name.length >= 3 &&
  !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
  !S3_RESERVED_PREFIXES.some((prefix) => name.startsWith(prefix)) &&
  !S3_RESERVED_SUFFIXES.some((suffix) => name.endsWith(suffix));
const bucketName = fc
  .oneof(
    fc.array(dnsLabel(20), { minLength: 1, maxLength: 5 }).map((labels) => joinedLabels(labels, 63)),
    exactLabel(63),
  )
  .filter(isAllowedBucketName);

const KEY_CHARS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '!', '_', '.', "'", '(', ')', '=', '-'];
const keySegment = fc
  .string({ unit: fc.constantFrom(...KEY_CHARS), minLength: 1, maxLength: 40, size: 'max' })
  .map((segment) => (segment === '.' || segment === '..' ? 'dot' : segment));
const longestKeyPrefix = fc.string({
  unit: fc.constantFrom(...KEY_CHARS),
  minLength: MAX_KEY_PREFIX_LENGTH,
  maxLength: MAX_KEY_PREFIX_LENGTH,
});
const keyPrefix = fc.oneof(
  fc.tuple(fc.array(keySegment, { minLength: 1, maxLength: 8 }), fc.boolean()).map(([segments, trailingSlash]) => {
    const kept: string[] = [];
    for (const segment of segments) if ([...kept, segment].join('/').length <= MAX_KEY_PREFIX_LENGTH) kept.push(segment);
    const prefix = kept.join('/');
    return trailingSlash && prefix.length < MAX_KEY_PREFIX_LENGTH ? `${prefix}/` : prefix;
  }),
  longestKeyPrefix,
);

const s3Grant = fc.record(
  {
    type: fc.constant('s3' as const),
    bucket: bucketName,
    prefix: keyPrefix,
    level: fc.constantFrom('read', 'write', 'read-write', 'list'),
  },
  { requiredKeys: ['type', 'bucket', 'level'] },
);

/** The largest S3 grant the schema allows: every action on a 63-character bucket and a prefix of the longest length allowed. */
const largestS3Grant = fc.record({
  type: fc.constant('s3' as const),
  bucket: exactLabel(63).filter(isAllowedBucketName),
  prefix: longestKeyPrefix,
  level: fc.constant('read-write' as const),
});

/** A grant the config allows on this cluster: S3, or an allow-listed managed policy of its partition. */
function grantFor(cluster: ClusterConfig, config: BrokerConfig) {
  const managed = config.allowedManagedPolicyArns.filter((arn) => partitionOfArn(arn) === cluster.partition);
  if (managed.length === 0) return s3Grant;
  return fc.oneof(
    { arbitrary: s3Grant, weight: 3 },
    { arbitrary: fc.record({ type: fc.constant('managed-policy' as const), arn: fc.constantFrom(...managed) }), weight: 1 },
  );
}

/** A pattern that still matches the name: at least three of its characters, then "*". */
function patternFor(serviceAccount: string) {
  if (serviceAccount.length < 3) return fc.constant(undefined);
  return fc.option(
    fc.integer({ min: 3, max: Math.min(serviceAccount.length, 252) }).map((keep) => `${serviceAccount.slice(0, keep)}*`),
    { nil: undefined },
  );
}

/** A request the schema and the config both accept. */
function validRequest(config: BrokerConfig, { withPatterns }: { withPatterns: boolean }): fc.Arbitrary<AccessRequestInput> {
  return fc.constantFrom(...config.clusters).chain((cluster) =>
    fc
      .record({
        namespace: namespaceName,
        serviceAccount: serviceAccountName,
        grants: fc.oneof(
          { arbitrary: fc.array(grantFor(cluster, config), { minLength: 1, maxLength: MAX_GRANTS_PER_REQUEST }), weight: 4 },
          { arbitrary: fc.array(largestS3Grant, { minLength: MAX_GRANTS_PER_REQUEST, maxLength: MAX_GRANTS_PER_REQUEST }), weight: 1 },
        ),
        manifest: fc.option(
          fc.record(
            { stsRegionalEndpoints: fc.boolean(), tokenExpirationSeconds: fc.integer({ min: 600, max: 86_400 }) },
            { requiredKeys: [] },
          ),
          { nil: undefined },
        ),
      })
      .chain((fields) =>
        (withPatterns ? patternFor(fields.serviceAccount) : fc.constant(undefined)).map((serviceAccountPattern) => {
          const request: AccessRequestInput = { cluster: cluster.name, ...fields };
          if (fields.manifest === undefined) delete request.manifest;
          if (serviceAccountPattern !== undefined) request.serviceAccountPattern = serviceAccountPattern;
          return request;
        }),
      ),
  );
}

/** Every Resource a permission policy names. */
function resourcesOf(plan: GrantPlan): string[] {
  return (plan.permissionPolicy?.document.Statement ?? []).flatMap((statement) =>
    statement.Resource === undefined ? [] : Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource],
  );
}

/** The other partitions' clusters: one deployment serves one partition, so each has its own config. */
const partitionConfigs: BrokerConfig[] = [propertyConfig, makeTestConfig({}, 'aws-cn'), makeTestConfig({}, 'aws-us-gov')];

function planFor(input: AccessRequestInput): GrantPlan {
  const request = AccessRequestSchema.parse(input);
  const config = partitionConfigs.find((candidate) => findCluster(candidate, request.cluster))!;
  const cluster = findCluster(config, request.cluster)!;
  return makeGrantPlan({ request, cluster, issuerUrl: issuerOf(cluster), config, serviceAccountTemplate });
}

describe('makeGrantPlan on arbitrary valid requests', () => {
  it.each(['dev', 'beijing', 'govcloud'])("fits the largest request the schema allows on %s within IAM's quotas", (clusterName) => {
    // Arrange
    const grants = Array.from({ length: MAX_GRANTS_PER_REQUEST }, (_, index) => ({
      type: 's3' as const,
      bucket: `${index}${'b'.repeat(62)}`,
      prefix: 'p'.repeat(MAX_KEY_PREFIX_LENGTH),
      level: 'read-write' as const,
    }));
    const input = {
      cluster: clusterName,
      namespace: 'n'.repeat(63),
      serviceAccount: `${'s'.repeat(63)}.`.repeat(3) + 's'.repeat(61),
      grants,
    };

    // Act
    const plan = planFor(input);

    // Assert
    expect(plan.usage.permissionPolicySize?.used).toBeLessThanOrEqual(IamLimits.managedPolicySize);
    expect(plan.usage.trustPolicySize.used).toBeLessThanOrEqual(propertyConfig.trustPolicySizeLimit);
    expect(plan.role.name).toHaveLength(64);
  });

  it('never throws, and every plan passes the IAM pre-flight again', () => {
    fc.assert(
      fc.property(validRequest(propertyConfig, { withPatterns: true }), (input) => {
        // Act
        const plan = planFor(input);

        // Assert
        expect(() =>
          checkIamLimits(
            {
              roleName: plan.role.name,
              rolePath: plan.role.path,
              trustPolicy: plan.role.trustPolicy,
              permissionPolicy: plan.permissionPolicy?.document ?? null,
              tags: plan.role.tags,
            },
            propertyConfig.trustPolicySizeLimit,
          ),
        ).not.toThrow();
        expect(GrantPlanSchema.safeParse(plan).success).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('never writes a "*" resource, nor a "*" anywhere but the trailing "/*" of an object ARN', () => {
    fc.assert(
      fc.property(validRequest(propertyConfig, { withPatterns: true }), (input) => {
        // Act
        const plan = planFor(input);

        // Assert
        const partition = plan.cluster.partition;
        for (const resource of resourcesOf(plan)) {
          expect(resource).not.toBe('*');
          expect(resource.startsWith(`arn:${partition}:s3:::`)).toBe(true);
          const beforeWildcard = resource.endsWith('/*') ? resource.slice(0, -2) : resource;
          expect(beforeWildcard).not.toMatch(/[*?]|\$\{/);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('writes a permission policy exactly when the request holds an S3 grant', () => {
    fc.assert(
      fc.property(validRequest(propertyConfig, { withPatterns: false }), (input) => {
        // Act
        const plan = planFor(input);

        // Assert
        const hasS3Grant = input.grants.some((grant) => grant.type === 's3');
        expect(plan.permissionPolicy !== null).toBe(hasS3Grant);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('names a valid IAM role: at most 64 characters of the IAM role-name alphabet', () => {
    fc.assert(
      fc.property(validRequest(propertyConfig, { withPatterns: false }), (input) => {
        // Act
        const plan = planFor(input);

        // Assert
        expect(plan.role.name).toMatch(IAM_ROLE_NAME);
        expect(plan.role.arn).toBe(`arn:${plan.cluster.partition}:iam::${plan.cluster.accountId}:role${plan.role.path}${plan.role.name}`);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('keeps aud under StringEquals and puts sub under StringLike only for a pattern', () => {
    fc.assert(
      fc.property(validRequest(propertyConfig, { withPatterns: true }), (input) => {
        // Act
        const plan = planFor(input);

        // Assert
        const condition = plan.role.trustPolicy.Statement[0]?.Condition ?? {};
        const issuer = plan.cluster.oidcIssuer.replace('https://', '');
        expect(condition.StringEquals?.[`${issuer}:aud`]).toBe('sts.amazonaws.com');
        const subjectOperator = input.serviceAccountPattern === undefined ? 'StringEquals' : 'StringLike';
        expect(condition[subjectOperator]?.[`${issuer}:sub`]).toBe(plan.subject);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('role names of distinct workloads', () => {
  const workload = fc.record({
    cluster: fc.constantFrom(...propertyConfig.clusters.map((cluster) => cluster.name)),
    namespace: namespaceName,
    serviceAccount: serviceAccountName,
  });
  const roleNameOf = (parts: { cluster: string; namespace: string; serviceAccount: string }) =>
    makeRoleName({ prefix: propertyConfig.roleNamePrefix, ...parts });

  it('differ case-insensitively, as IAM compares them', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(workload, {
          minLength: 2,
          maxLength: 20,
          selector: (parts) => [parts.cluster.toLowerCase(), parts.namespace, parts.serviceAccount].join('\n'),
        }),
        (workloads) => {
          // Act
          const names = workloads.map((parts) => roleNameOf(parts).toLowerCase());

          // Assert
          expect(new Set(names).size).toBe(workloads.length);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('differ even when the workloads differ only in the last character of a long name', () => {
    fc.assert(
      fc.property(workload, alnum, (parts, replacement) => {
        // Arrange
        fc.pre(!parts.serviceAccount.endsWith(replacement));
        const sibling = { ...parts, serviceAccount: `${parts.serviceAccount.slice(0, -1)}${replacement}` };

        // Act
        const [name, siblingName] = [roleNameOf(parts), roleNameOf(sibling)];

        // Assert
        expect(siblingName.toLowerCase()).not.toBe(name.toLowerCase());
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

// ---- planGrant on arbitrary input: a client can get a 4xx, never a 5xx ----

/** An in-memory issuer source: config issuers, and a fixed one for clusters config leaves out. */
const issuers: ClusterIssuerSource = { getIssuerUrl: async (cluster) => issuerOf(cluster) };
const fuzzDeps: PlanGrantDeps = {
  config: makeTestConfig(),
  issuers,
  buckets: new FakeBucketInspector(),
  serviceAccountTemplate,
  store: new InMemoryAccessRequestStore(),
  workloads: new InMemoryWorkloadStore(),
};

/** Strings that try to widen a policy or break out of a name, and well-formed values a broker rule refuses. */
const TRICKY_VALUES = [
  '*',
  '?',
  '',
  ' ',
  'a:b',
  'arn:aws:s3:::x',
  '${aws:username}',
  '../',
  'bucket/*',
  'UPPER',
  '192.168.1.1',
  'x'.repeat(300),
  '\u0000',
  '__proto__',
  'staging',
  'pod-identity',
  'apply',
  'abc*',
  'arn:aws:iam::aws:policy/AdministratorAccess',
  'arn:aws-us-gov:iam::aws:policy/AmazonSQSReadOnlyAccess',
];
const MUTABLE_PATHS: (string | number)[][] = [
  ['cluster'],
  ['namespace'],
  ['serviceAccount'],
  ['serviceAccountPattern'],
  ['mechanism'],
  ['grants'],
  ['grants', 0],
  ['grants', 0, 'type'],
  ['grants', 0, 'bucket'],
  ['grants', 0, 'prefix'],
  ['grants', 0, 'level'],
  ['grants', 0, 'arn'],
  ['grants', 8],
  ['manifest'],
  ['manifest', 'tokenExpirationSeconds'],
  ['delivery'],
  ['adoptExistingServiceAccount'],
  ['justification'],
  ['ticket'],
  ['durationHours'],
  ['unexpected'],
];

function withValueAt(input: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(input) as Record<string | number, unknown>;
  let node: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    if (!node[key] || typeof node[key] !== 'object') node[key] = {};
    node = node[key] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

const mutatedRequest = fc
  .tuple(
    validRequest(fuzzDeps.config, { withPatterns: false }),
    fc.constantFrom(...MUTABLE_PATHS),
    fc.oneof(fc.constantFrom(...TRICKY_VALUES), fc.anything(), fc.constant(undefined)),
  )
  .map(([request, path, value]) => withValueAt(request, path, value));

async function expectPlanOrClientError(input: unknown): Promise<void> {
  try {
    await planGrant(input, fuzzDeps);
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerError);
    const { statusCode } = toErrorResponse(error);
    expect(statusCode).toBeGreaterThanOrEqual(400);
    expect(statusCode).toBeLessThan(500);
  }
}

describe('planGrant on arbitrary input', () => {
  it('resolves or rejects with a 4xx for any value at all', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, withSparseArray: true }),
        expectPlanOrClientError,
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('resolves or rejects with a 4xx for any JSON document', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.json().map((text) => JSON.parse(text) as unknown),
        expectPlanOrClientError,
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('resolves or rejects with a 4xx for a valid request with one field mutated', async () => {
    await fc.assert(fc.asyncProperty(mutatedRequest, expectPlanOrClientError), { numRuns: NUM_RUNS });
  });

  it('resolves every valid request', async () => {
    await fc.assert(
      fc.asyncProperty(validRequest(fuzzDeps.config, { withPatterns: false }), async (input) => {
        // Act
        const plan = await planGrant(input, fuzzDeps);

        // Assert
        expect(plan.cluster.name).toBe(input.cluster);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

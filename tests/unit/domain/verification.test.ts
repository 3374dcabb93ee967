import type { Grant } from '../../../src/domain/accessRequest';
import { makeS3Probes, probeKey, unprovedWrites, verificationOutcome } from '../../../src/domain/verification';

const s3 = (level: 'read' | 'write' | 'read-write' | 'list', prefix?: string): Grant => ({
  type: 's3',
  bucket: 'acme-invoices',
  level,
  ...(prefix ? { prefix } : {}),
});

describe('makeS3Probes', () => {
  it.each([
    ['read', false, ['s3:ListBucket', 's3:GetObject']],
    ['list', false, ['s3:ListBucket']],
    ['write', false, []],
    ['write', true, ['s3:PutObject', 's3:DeleteObject']],
    ['read-write', true, ['s3:ListBucket', 's3:GetObject', 's3:PutObject', 's3:DeleteObject']],
  ] as const)('for level %s (write probe %s) makes the calls %j', (level, writeProbe, steps) => {
    expect(makeS3Probes([s3(level, 'exports/')], 'req-1', writeProbe).map((probe) => probe.step)).toEqual(steps);
  });

  it('keeps every call inside the prefix: lists with it, probes a key under it', () => {
    const probes = makeS3Probes([s3('read-write', 'exports/')], 'req-1', true);
    expect(probes.map((probe) => probe.key)).toEqual(['exports/', ...Array(3).fill(probeKey('exports/', 'req-1'))]);
    expect(probes.every((probe) => probe.key.startsWith('exports/'))).toBe(true);
  });

  it('probes nothing for managed policies (the broker cannot know what to call)', () => {
    expect(makeS3Probes([{ type: 'managed-policy', arn: 'arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess' }], 'req-1', true)).toEqual([]);
  });
});

describe('unprovedWrites', () => {
  it('names each write config does not let the broker prove, and none when it may', () => {
    expect(unprovedWrites([s3('write', 'in/'), s3('read')], false).map((check) => [check.target, check.code])).toEqual([
      ['s3://acme-invoices/in/', 'WRITE_PROBE_NOT_ALLOWED'],
    ]);
    expect(unprovedWrites([s3('write', 'in/')], true)).toEqual([]);
  });
});

describe('verificationOutcome', () => {
  const check = (result: 'passed' | 'failed' | 'skipped') => ({ step: 'token' as const, result });
  it.each([
    [['passed', 'passed'], 'passed'],
    [['passed', 'skipped'], 'partial'],
    [['passed', 'skipped', 'failed'], 'failed'],
  ] as const)('for checks %j is %s', (results, outcome) => {
    expect(verificationOutcome(results.map(check))).toBe(outcome);
  });
});

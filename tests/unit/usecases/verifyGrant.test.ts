import { RequestStatus } from '../../../src/domain/requestLifecycle';
import type { S3Probe } from '../../../src/domain/verification';
import type { AccessProber, ProbeAnswer, ServiceAccountTokens } from '../../../src/ports';
import { provisionGrant } from '../../../src/usecases/provisionGrant';
import { submitAccessRequest } from '../../../src/usecases/submitAccessRequest';
import { verifyGrant } from '../../../src/usecases/verifyGrant';
import { alice, makeRequestInput, makeRule } from '../../support/accessRequestRecord';
import { makeTestConfig } from '../../support/brokerConfig';
import { makeFakeProvisioningDeps, type FakeProvisioningDeps } from '../../support/fakes';

/** A pod's view of AWS: each S3 call answers as `answers` says, in order (then allowed). */
class FakeProber implements AccessProber {
  readonly calls: string[] = [];
  constructor(private readonly answers: ProbeAnswer[] = []) {}

  async assumeRole(roleArn: string) {
    this.calls.push(`assume ${roleArn}`);
    return {
      answer: { allowed: true } as const,
      session: {
        run: async (probe: S3Probe) => {
          this.calls.push(`${probe.step} ${probe.bucket}/${probe.key}`);
          return this.answers.shift() ?? { allowed: true as const };
        },
      },
    };
  }
}

const tokens = (token: string | undefined): ServiceAccountTokens => ({ requestToken: async () => token });

/** `token: null`: the ServiceAccount is not in the cluster. */
function depsWith(prober: AccessProber, token: string | null = 'token'): FakeProvisioningDeps {
  const rule = makeRule({ autoApprove: [{ s3Levels: ['read', 'write', 'read-write', 'list'], bucketPatterns: ['*'] }] });
  const deps = makeFakeProvisioningDeps(
    makeTestConfig({ approvalRules: [rule], provisioning: { enabled: true }, verification: { afterProvisioning: false } }),
  );
  return { ...deps, verifier: async () => ({ tokens: tokens(token ?? undefined), prober }) };
}

/** A read grant: every call it allows can be proved without writing. */
const readGrant = () => makeRequestInput({ grants: [{ type: 's3', bucket: 'acme-invoices', prefix: 'exports/', level: 'read' }] });

async function activeGrant(deps: FakeProvisioningDeps) {
  const { id } = await submitAccessRequest(readGrant(), alice, deps);
  const record = await provisionGrant(id, deps);
  expect(record.status).toBe(RequestStatus.Active);
  return record;
}

describe('verifyGrant', () => {
  it('tries a refused pass again (IAM is eventually consistent) and records the pass that succeeded', async () => {
    const prober = new FakeProber([{ allowed: false, code: 'AccessDenied', message: 'not yet' }]);
    const deps = depsWith(prober);
    const verified = await verifyGrant((await activeGrant(deps)).id, alice, deps, { attempts: 3, startingDelayMs: 1 });
    expect([verified.verification?.outcome, verified.verification?.attempts]).toEqual(['passed', 2]);
  });

  it('records failed with the AWS code once the attempts are used up, and audits it without changing state', async () => {
    const denied = { allowed: false as const, code: 'AccessDenied', message: 'Access Denied' };
    const deps = depsWith(new FakeProber(Array(10).fill(denied)));
    const record = await activeGrant(deps);
    const verified = await verifyGrant(record.id, alice, deps, { attempts: 2, startingDelayMs: 1 });
    expect(verified.status).toBe('active');
    expect(verified.verification?.outcome).toBe('failed');
    expect(verified.verification?.checks.find((check) => check.result === 'failed')?.code).toBe('AccessDenied');
    expect(verified.events.at(-1)).toMatchObject({ type: 'verified', from: 'active', to: 'active' });
    expect((await deps.store.get(record.id))?.verification).toEqual(verified.verification);
  });

  it('says "partial" and makes no AWS call as the role when the ServiceAccount has no token to give', async () => {
    const prober = new FakeProber();
    const deps = depsWith(prober, null);
    const verified = await verifyGrant((await activeGrant(deps)).id, alice, deps, { attempts: 1, startingDelayMs: 1 });
    expect(verified.verification?.outcome).toBe('partial');
    expect(prober.calls).toEqual([]);
  });

  it('refuses a request that is not active with 409 NOT_VERIFIABLE', async () => {
    const deps = depsWith(new FakeProber());
    const { id } = await submitAccessRequest(makeRequestInput({}), alice, deps);
    const error = await verifyGrant(id, alice, deps).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'NOT_VERIFIABLE' });
  });
});

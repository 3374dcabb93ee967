import type { AwsCredentialIdentity } from '@smithy/types';
import { renewingCredentials, sessionNameFor } from '../../../../src/adapters/aws/accountSessions';

const MINUTE = 60_000;

describe('sessionNameFor', () => {
  it('names the session irsa-broker-<id>', () => {
    expect(sessionNameFor('0b7e3c1a-5d2f-4c3b-9a8e-1f2d3c4b5a69')).toBe('irsa-broker-0b7e3c1a-5d2f-4c3b-9a8e-1f2d3c4b5a69');
  });

  it("replaces what STS does not allow and cuts at STS's 64 characters", () => {
    // Act
    const name = sessionNameFor(`reconcile run/${'x'.repeat(80)}:#1`);

    // Assert
    expect(name).toMatch(/^[\w+=,.@-]{2,64}$/);
    expect(name).toHaveLength(64);
    expect(name.startsWith('irsa-broker-reconcile-run-')).toBe(true);
  });
});

describe('renewingCredentials', () => {
  let now: Date;
  let calls: number;
  let failNext: boolean;
  const provider = async (): Promise<AwsCredentialIdentity> => {
    calls += 1;
    if (failNext) {
      failNext = false;
      throw Object.assign(new Error('denied'), { name: 'AccessDenied' });
    }
    return { accessKeyId: `KEY${calls}`, secretAccessKey: 's', expiration: new Date(now.getTime() + 60 * MINUTE) };
  };

  beforeEach(() => {
    now = new Date('2030-01-01T09:00:00Z');
    calls = 0;
    failNext = false;
  });

  it('keeps the credentials until five minutes before they expire, then renews them', async () => {
    // Arrange
    const credentials = renewingCredentials(provider, () => now);

    // Act
    const first = await credentials();
    now = new Date(now.getTime() + 54 * MINUTE);
    const kept = await credentials();
    now = new Date(now.getTime() + 2 * MINUTE);
    const renewed = await credentials();

    // Assert
    expect([first.accessKeyId, kept.accessKeyId, renewed.accessKeyId]).toEqual(['KEY1', 'KEY1', 'KEY2']);
  });

  it('lets concurrent callers share one call', async () => {
    // Arrange
    const credentials = renewingCredentials(provider, () => now);

    // Act
    const keys = await Promise.all([credentials(), credentials(), credentials()]);

    // Assert
    expect(keys.map((key) => key.accessKeyId)).toEqual(['KEY1', 'KEY1', 'KEY1']);
    expect(calls).toBe(1);
  });

  it('does not keep a failure: the next call asks again', async () => {
    // Arrange
    failNext = true;
    const credentials = renewingCredentials(provider, () => now);

    // Act
    const failure = await credentials().catch((error: Error) => error.name);
    const next = await credentials();

    // Assert
    expect([failure, next.accessKeyId]).toEqual(['AccessDenied', 'KEY2']);
  });

  it('keeps credentials without an expiry for good', async () => {
    // Arrange
    const credentials = renewingCredentials(
      async () => ({ accessKeyId: `KEY${++calls}`, secretAccessKey: 's' }),
      () => now,
    );

    // Act
    await credentials();
    now = new Date(now.getTime() + 600 * MINUTE);
    const later = await credentials();

    // Assert
    expect(later.accessKeyId).toBe('KEY1');
  });
});

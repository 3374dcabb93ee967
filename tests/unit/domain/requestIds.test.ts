import { idempotencyCallerOf, makeIdempotentRequestId, nameBasedUuid } from '../../../src/domain/requestIds';

describe('nameBasedUuid', () => {
  it('is RFC 9562 version 5 (the DNS namespace example)', () => {
    expect(nameBasedUuid('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });
});

describe('makeIdempotentRequestId', () => {
  const alice = { subject: 'alice', source: 'jwt' } as const;

  it('gives the same caller and key the same id, and anything else another', () => {
    const id = makeIdempotentRequestId(alice, 'k-1');
    expect(makeIdempotentRequestId(alice, 'k-1')).toBe(id);
    expect(makeIdempotentRequestId(alice, 'k-2')).not.toBe(id);
    expect(makeIdempotentRequestId({ subject: 'bob', source: 'jwt' }, 'k-1')).not.toBe(id);
    // The same subject from another door is another caller.
    expect(makeIdempotentRequestId({ subject: 'alice', source: 'slack' }, 'k-1')).not.toBe(id);
  });

  it('cannot be confused by a separator inside subject or key', () => {
    expect(makeIdempotentRequestId({ subject: 'a', source: 'jwt' }, '"b')).not.toBe(
      makeIdempotentRequestId({ subject: 'a"', source: 'jwt' }, 'b'),
    );
  });
});

describe('idempotencyCallerOf', () => {
  it('is the role, not the session, for an IAM caller', () => {
    const session = (name: string) => ({ subject: `arn:aws:sts::111122223333:assumed-role/portal/${name}`, source: 'iam' as const });
    expect(idempotencyCallerOf(session('a'))).toBe(idempotencyCallerOf(session('b')));
    expect(idempotencyCallerOf(session('a'))).toBe('iam:111122223333:role:portal');
  });
});

import fc from 'fast-check';
import { ConflictError } from '../../../src/domain/errors';
import { makeTags, type Tag } from '../../../src/domain/makeTags';
import { assertOwnedByRequest, canonicalJson, isManagedByBroker, isOwnedByRequest, sameDocument } from '../../../src/domain/ownership';
import { errorOf } from '../../support/errorOf';

const MANAGED_BY: Tag = { Key: 'irsa-broker:managed-by', Value: 'irsa-broker' };

function brokerTags(requestId?: string): Tag[] {
  return makeTags({
    cluster: 'dev',
    namespace: 'payments',
    serviceAccount: 'invoice-exporter',
    requestId,
    extraTags: { team: 'payments' },
  });
}

/** The same JSON value with the keys of every object in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([key, entry]) => [key, reverseKeys(entry)]),
    );
  }
  return value;
}

describe('isManagedByBroker', () => {
  it('recognises the tags the broker puts on its objects', () => {
    // Arrange / Act
    const managed = isManagedByBroker(brokerTags('req-0001'));

    // Assert
    expect(managed).toBe(true);
  });

  it.each([
    ['no tags', []],
    ['another value', [{ Key: 'irsa-broker:managed-by', Value: 'terraform' }]],
    ['a lookalike key', [{ Key: 'managed-by', Value: 'irsa-broker' }]],
    ['only the request id', [{ Key: 'irsa-broker:request-id', Value: 'req-0001' }]],
  ])('does not see the broker in %s', (_what, tags: Tag[]) => {
    // Arrange / Act
    const managed = isManagedByBroker(tags);

    // Assert
    expect(managed).toBe(false);
  });
});

describe('isOwnedByRequest', () => {
  it('is true for the request named in the tags', () => {
    // Arrange / Act
    const owned = isOwnedByRequest(brokerTags('req-0001'), 'req-0001');

    // Assert
    expect(owned).toBe(true);
  });

  it('is false for another request', () => {
    // Arrange / Act
    const owned = isOwnedByRequest(brokerTags('req-0001'), 'req-0002');

    // Assert
    expect(owned).toBe(false);
  });

  it('is true for a broker object that names no request', () => {
    // Arrange / Act
    const owned = isOwnedByRequest(brokerTags(), 'req-0002');

    // Assert
    expect(owned).toBe(true);
  });

  it('is false for an object the broker does not manage, whatever its request tag says', () => {
    // Arrange
    const tags = [{ Key: 'irsa-broker:request-id', Value: 'req-0001' }];

    // Act
    const owned = isOwnedByRequest(tags, 'req-0001');

    // Assert
    expect(owned).toBe(false);
  });
});

describe('assertOwnedByRequest', () => {
  it("accepts the request's own object", () => {
    // Arrange / Act
    const act = () => assertOwnedByRequest('role', 'irsa-dev.payments.invoice-exporter', brokerTags('req-0001'), 'req-0001');

    // Assert
    expect(act).not.toThrow();
  });

  it('accepts a broker object that names no request', () => {
    // Arrange / Act
    const act = () => assertOwnedByRequest('policy', 'irsa-dev.payments.invoice-exporter', [MANAGED_BY], 'req-0001');

    // Assert
    expect(act).not.toThrow();
  });

  it('refuses an object without the broker tag with FOREIGN_IAM_OBJECT', () => {
    // Arrange
    const tags = [{ Key: 'owner', Value: 'platform-team' }];

    // Act
    const error = errorOf(() => assertOwnedByRequest('role', 'irsa-dev.payments.invoice-exporter', tags, 'req-0001'));

    // Assert
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ code: 'FOREIGN_IAM_OBJECT', details: { kind: 'role', name: 'irsa-dev.payments.invoice-exporter' } });
    expect((error as Error).message).toContain('left untouched');
  });

  it("refuses another request's object with IAM_OBJECT_OWNED_BY_ANOTHER_REQUEST naming the owner", () => {
    // Arrange
    const tags = brokerTags('req-0001');

    // Act
    const error = errorOf(() => assertOwnedByRequest('policy', 'irsa-dev.payments.invoice-exporter', tags, 'req-0002'));

    // Assert
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({
      code: 'IAM_OBJECT_OWNED_BY_ANOTHER_REQUEST',
      details: { kind: 'policy', name: 'irsa-dev.payments.invoice-exporter', owner: 'req-0001' },
    });
  });
});

describe('canonicalJson', () => {
  it('sorts object keys at every depth', () => {
    // Arrange
    const value = { b: 1, a: { d: [{ z: true, y: null }], c: 'x' } };

    // Act
    const text = canonicalJson(value);

    // Assert
    expect(text).toBe('{"a":{"c":"x","d":[{"y":null,"z":true}]},"b":1}');
  });

  it('keeps the order of arrays', () => {
    // Arrange / Act
    const text = canonicalJson(['s3:PutObject', 's3:GetObject']);

    // Assert
    expect(text).toBe('["s3:PutObject","s3:GetObject"]');
  });

  it('drops keys whose value is undefined', () => {
    // Arrange / Act
    const text = canonicalJson({ Sid: undefined, Effect: 'Allow' });

    // Assert
    expect(text).toBe('{"Effect":"Allow"}');
  });

  it('gives the same text for any key order (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(reverseKeys(value))).toBe(canonicalJson(value));
      }),
    );
  });
});

describe('sameDocument', () => {
  const document = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::acme-invoices/exports/*' }],
  };

  it('treats documents that differ only in key order as the same', () => {
    // Arrange
    const fromIam = {
      Statement: [{ Resource: 'arn:aws:s3:::acme-invoices/exports/*', Action: ['s3:GetObject'], Effect: 'Allow' }],
      Version: '2012-10-17',
    };

    // Act
    const same = sameDocument(fromIam, document);

    // Assert
    expect(same).toBe(true);
  });

  it('sees a changed value', () => {
    // Arrange
    const widened = { ...document, Statement: [{ ...document.Statement[0], Resource: 'arn:aws:s3:::acme-invoices/*' }] };

    // Act
    const same = sameDocument(widened, document);

    // Assert
    expect(same).toBe(false);
  });

  it('sees reordered statements as a difference', () => {
    // Arrange
    const statements = [
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::a' },
      { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::a/*' },
    ];

    // Act
    const same = sameDocument({ Statement: statements }, { Statement: [...statements].reverse() });

    // Assert
    expect(same).toBe(false);
  });
});

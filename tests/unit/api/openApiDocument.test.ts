import { makeOpenApiDocument } from '../../../src/api/openApiDocument';

interface OpenApiDocument {
  openapi: string;
  info: { version: string };
  paths: Record<string, Record<string, { operationId?: string; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, { required?: string[]; properties?: Record<string, unknown> }> };
}

const document = makeOpenApiDocument('1.2.3') as unknown as OpenApiDocument;

/** Every `$ref` anywhere in a JSON value. */
function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, entry]) => (key === '$ref' && typeof entry === 'string' ? [entry] : refsIn(entry)));
  }
  return [];
}

describe('makeOpenApiDocument', () => {
  it('is an OpenAPI 3.1.0 document carrying the given version', () => {
    // Arrange (the document above)

    // Act
    const { openapi, info } = document;

    // Assert
    expect(openapi).toBe('3.1.0');
    expect(info.version).toBe('1.2.3');
  });

  it('resolves every $ref to an entry of components.schemas', () => {
    // Arrange
    const refs = refsIn(document);

    // Act
    const unresolved = refs.filter((ref) => {
      const match = /^#\/components\/schemas\/([^/]+)$/.exec(ref);
      return !match || !(match[1]! in document.components.schemas);
    });

    // Assert
    expect(refs.length).toBeGreaterThan(0);
    expect(unresolved).toEqual([]);
  });

  it('leaves no JSON Schema $schema or $id inside the components', () => {
    // Arrange
    const schemas = Object.values(document.components.schemas);

    // Act
    const dialectKeys = schemas.filter((schema) => '$schema' in schema || '$id' in schema);

    // Assert
    expect(dialectKeys).toEqual([]);
  });

  it('describes AccessRequest, requiring cluster, namespace, serviceAccount and grants', () => {
    // Arrange
    const schema = document.components.schemas.AccessRequest;

    // Act
    const required = schema?.required;

    // Assert
    expect(required).toEqual(expect.arrayContaining(['cluster', 'namespace', 'serviceAccount', 'grants']));
    expect(required).not.toContain('mechanism');
    expect(Object.keys(schema?.properties ?? {})).toEqual(expect.arrayContaining(['serviceAccountPattern', 'manifest', 'durationHours']));
  });

  it.each(['GrantPlan', 'ErrorResponse', 'S3Grant', 'ManagedPolicyGrant', 'PolicyDocument', 'AccessRequestView', 'AuditEvent'])(
    'holds the %s schema',
    (id) => {
      // Arrange (the document above)

      // Act
      const schema = document.components.schemas[id];

      // Assert
      expect(schema).toBeDefined();
    },
  );

  it('documents POST /plans with its JSON and YAML answers and every error status the route gives', () => {
    // Arrange
    const plans = document.paths['/plans']?.post;

    // Act
    const statuses = Object.keys(plans?.responses ?? {});

    // Assert
    expect(plans?.operationId).toBe('createPlan');
    expect(statuses).toEqual(expect.arrayContaining(['200', '400', '404', '406', '409', '415', '422']));
    expect(plans?.responses['200']).toMatchObject({
      content: {
        'application/json': { schema: { $ref: '#/components/schemas/PlanResponse' } },
        'application/yaml': { schema: { type: 'string' } },
      },
    });
  });

  it('documents POST /access-requests/{id}/extend with its body schema and the statuses the route gives', () => {
    // Arrange
    const extend = document.paths['/access-requests/{id}/extend']?.post as
      { operationId: string; responses: Record<string, unknown>; requestBody: unknown } | undefined;

    // Act
    const statuses = Object.keys(extend?.responses ?? {});

    // Assert
    expect(extend?.operationId).toBe('extendAccessRequest');
    expect(statuses).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404', '409', '422']));
    expect(extend?.requestBody).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ExtensionRequest' } } },
    });
    expect(document.components.schemas.ExtensionRequest?.required).toEqual(['durationHours', 'justification']);
    expect(Object.keys(document.components.schemas.AccessRequestView?.properties ?? {})).toEqual(
      expect.arrayContaining(['extension', 'expiryWarning']),
    );
  });

  it('gives every operation a unique operationId', () => {
    // Arrange
    const operations = Object.values(document.paths).flatMap((path) => Object.values(path));

    // Act
    const ids = operations.map((operation) => operation.operationId);

    // Assert
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('dependency errors in the document', () => {
  it('gives every authenticated operation a 503 with a Retry-After header and a 502', () => {
    // Arrange
    const operations = Object.values(document.paths).flatMap((methods) =>
      Object.values(methods as Record<string, { security?: unknown[]; responses: Record<string, { headers?: Record<string, unknown> }> }>),
    );
    const authenticated = operations.filter((operation) => operation.security?.length);

    // Act
    const missing = authenticated.filter(
      (operation) => !operation.responses['503']?.headers?.['Retry-After'] || !operation.responses['502'],
    );

    // Assert
    expect(authenticated.length).toBeGreaterThan(10);
    expect(missing).toEqual([]);
  });
});

import { parse } from 'yaml';
import {
  MANAGED_BY_LABEL,
  makeServiceAccountManifest,
  ManifestTemplateError,
  REQUEST_ID_ANNOTATION,
  ROLE_ARN_ANNOTATION,
  STS_REGIONAL_ENDPOINTS_ANNOTATION,
  TOKEN_EXPIRATION_ANNOTATION,
  type ServiceAccountFields,
} from '../../../src/domain/makeServiceAccountManifest';
import { serviceAccountTemplate } from '../../support/serviceAccountTemplate';

const ROLE_ARN = 'arn:aws:iam::111122223333:role/irsa-broker/irsa-dev.payments.invoice-exporter';

function fields(overrides: Partial<ServiceAccountFields> = {}): ServiceAccountFields {
  return { name: 'invoice-exporter', namespace: 'payments', roleArn: ROLE_ARN, ...overrides };
}

describe('makeServiceAccountManifest', () => {
  it('fills name, namespace, the role-arn annotation and the managed-by label', () => {
    // Arrange
    const serviceAccount = fields();

    // Act
    const manifest = makeServiceAccountManifest(serviceAccountTemplate, serviceAccount);

    // Assert
    expect(manifest.object).toEqual({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: 'invoice-exporter',
        namespace: 'payments',
        labels: { [MANAGED_BY_LABEL]: 'irsa-broker' },
        annotations: { [ROLE_ARN_ANNOTATION]: ROLE_ARN },
      },
    });
  });

  it('renders YAML that parses back to the same object', () => {
    // Arrange
    const serviceAccount = fields({ requestId: 'req-1', options: { stsRegionalEndpoints: true, tokenExpirationSeconds: 3600 } });

    // Act
    const manifest = makeServiceAccountManifest(serviceAccountTemplate, serviceAccount);

    // Assert
    expect(parse(manifest.yaml)).toEqual(manifest.object);
  });

  it('keeps what else the template sets', () => {
    // Arrange
    const template = `${serviceAccountTemplate}automountServiceAccountToken: false\n`;

    // Act
    const manifest = makeServiceAccountManifest(template, fields());

    // Assert
    expect(manifest.object.automountServiceAccountToken).toBe(false);
    expect(manifest.yaml).toContain('automountServiceAccountToken: false');
  });

  it('writes the pod identity webhook options as string annotations', () => {
    // Arrange
    const serviceAccount = fields({ options: { stsRegionalEndpoints: false, tokenExpirationSeconds: 600 } });

    // Act
    const manifest = makeServiceAccountManifest(serviceAccountTemplate, serviceAccount);

    // Assert
    const annotations = (manifest.object.metadata as { annotations: Record<string, unknown> }).annotations;
    expect(annotations[STS_REGIONAL_ENDPOINTS_ANNOTATION]).toBe('false');
    expect(annotations[TOKEN_EXPIRATION_ANNOTATION]).toBe('600');
    expect(manifest.yaml).toContain(`${STS_REGIONAL_ENDPOINTS_ANNOTATION}: 'false'`);
    expect(manifest.yaml).toContain(`${TOKEN_EXPIRATION_ANNOTATION}: '600'`);
  });

  it('leaves out options and the request id when none are given', () => {
    // Arrange
    const serviceAccount = fields();

    // Act
    const manifest = makeServiceAccountManifest(serviceAccountTemplate, serviceAccount);

    // Assert
    expect(manifest.yaml).not.toContain(STS_REGIONAL_ENDPOINTS_ANNOTATION);
    expect(manifest.yaml).not.toContain(TOKEN_EXPIRATION_ANNOTATION);
    expect(manifest.yaml).not.toContain(REQUEST_ID_ANNOTATION);
  });

  it('annotates the request id when there is one', () => {
    // Arrange
    const serviceAccount = fields({ requestId: '5b0a8d4e-0000-4000-8000-000000000001' });

    // Act
    const manifest = makeServiceAccountManifest(serviceAccountTemplate, serviceAccount);

    // Assert
    const annotations = (manifest.object.metadata as { annotations: Record<string, unknown> }).annotations;
    expect(annotations[REQUEST_ID_ANNOTATION]).toBe('5b0a8d4e-0000-4000-8000-000000000001');
  });

  it('keeps what the template adds and writes flow-style maps of the template as block maps', () => {
    // Arrange
    const template = [
      'apiVersion: v1',
      'kind: ServiceAccount',
      'metadata:',
      '  labels: {team: payments}',
      '  annotations: {}',
      'automountServiceAccountToken: false',
      '',
    ].join('\n');

    // Act
    const manifest = makeServiceAccountManifest(template, fields());

    // Assert
    expect(manifest.object).toMatchObject({
      automountServiceAccountToken: false,
      metadata: { labels: { team: 'payments', [MANAGED_BY_LABEL]: 'irsa-broker' } },
    });
    expect(manifest.yaml).not.toContain('{');
  });

  it('overrides a managed-by label the template sets otherwise', () => {
    // Arrange
    const template = 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  labels:\n    irsa-broker.io/managed-by: someone-else\n';

    // Act
    const manifest = makeServiceAccountManifest(template, fields());

    // Assert
    expect((manifest.object.metadata as { labels: Record<string, unknown> }).labels[MANAGED_BY_LABEL]).toBe('irsa-broker');
  });

  it('sets values as YAML scalars, so no value can inject YAML', () => {
    // Arrange
    const serviceAccount = fields({ name: 'x\nkind: Secret', namespace: 'a: b' });

    // Act
    const manifest = makeServiceAccountManifest(serviceAccountTemplate, serviceAccount);

    // Assert
    const reparsed = parse(manifest.yaml) as { kind: string; metadata: { name: string; namespace: string } };
    expect(reparsed.kind).toBe('ServiceAccount');
    expect(reparsed.metadata.name).toBe('x\nkind: Secret');
    expect(reparsed.metadata.namespace).toBe('a: b');
  });

  it('says what a pod spec needs to run as the ServiceAccount', () => {
    // Arrange
    const serviceAccount = fields();

    // Act
    const manifest = makeServiceAccountManifest(serviceAccountTemplate, serviceAccount);

    // Assert
    expect(manifest.podSpec).toEqual({ serviceAccountName: 'invoice-exporter' });
    expect(manifest.podSpecYaml).toBe('spec:\n  serviceAccountName: invoice-exporter\n');
  });

  it.each([
    ['not YAML', 'apiVersion: v1\nkind: [ServiceAccount\n'],
    ['another kind', 'apiVersion: v1\nkind: Secret\nmetadata: {}\n'],
    ['another apiVersion', 'apiVersion: v2\nkind: ServiceAccount\n'],
    ['empty', ''],
  ])('refuses a template that is %s with a ManifestTemplateError', (_what, template) => {
    // Arrange (the template above)

    // Act
    const render = () => makeServiceAccountManifest(template, fields());

    // Assert
    expect(render).toThrow(ManifestTemplateError);
  });
});

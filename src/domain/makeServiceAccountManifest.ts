import { isMap, parseDocument, stringify } from 'yaml';
import type { ManifestOptions } from './accessRequest';

export const ROLE_ARN_ANNOTATION = 'eks.amazonaws.com/role-arn';
export const STS_REGIONAL_ENDPOINTS_ANNOTATION = 'eks.amazonaws.com/sts-regional-endpoints';
export const TOKEN_EXPIRATION_ANNOTATION = 'eks.amazonaws.com/token-expiration';
export const REQUEST_ID_ANNOTATION = 'irsa-broker.io/request-id';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_LABEL_VALUE = 'irsa-broker';

export interface ServiceAccountFields {
  name: string;
  namespace: string;
  roleArn: string;
  requestId?: string;
  options?: ManifestOptions;
}

export interface ServiceAccountManifest {
  /** The ServiceAccount as an object, ready for server-side apply. */
  object: Record<string, unknown>;
  /** The same ServiceAccount as YAML, comments of the template kept. */
  yaml: string;
  /** What a pod spec needs to run as this ServiceAccount. */
  podSpec: { serviceAccountName: string };
  podSpecYaml: string;
}

/** Thrown when the shipped template is not a ServiceAccount: a packaging bug, not client input. */
export class ManifestTemplateError extends Error {
  override name = 'ManifestTemplateError';
}

/**
 * Renders the ServiceAccount from the YAML template text. The template is parsed and each field is
 * set on the parsed document, never substituted as text, so no value can inject YAML.
 */
export function makeServiceAccountManifest(templateText: string, fields: ServiceAccountFields): ServiceAccountManifest {
  const document = parseDocument(templateText);
  if (document.errors.length > 0)
    throw new ManifestTemplateError(`ServiceAccount template is not valid YAML: ${document.errors[0]?.message}`);
  if (document.get('apiVersion') !== 'v1' || document.get('kind') !== 'ServiceAccount') {
    throw new ManifestTemplateError('ServiceAccount template must have apiVersion v1 and kind ServiceAccount');
  }
  const metadata = document.get('metadata');
  if (!isMap(metadata)) throw new ManifestTemplateError('ServiceAccount template must have a metadata mapping');
  metadata.flow = false;
  // New nodes, not edits of the template's scalars, so the output takes plain YAML styles.
  const set = (path: string[], value: unknown) => document.setIn(path, document.createNode(value));
  for (const mapPath of [
    ['metadata', 'labels'],
    ['metadata', 'annotations'],
  ]) {
    const map = document.getIn(mapPath);
    if (isMap(map)) map.flow = false;
    else set(mapPath, {});
  }

  set(['metadata', 'name'], fields.name);
  set(['metadata', 'namespace'], fields.namespace);
  set(['metadata', 'labels', MANAGED_BY_LABEL], MANAGED_BY_LABEL_VALUE);
  set(['metadata', 'annotations', ROLE_ARN_ANNOTATION], fields.roleArn);
  if (fields.options?.stsRegionalEndpoints !== undefined) {
    set(['metadata', 'annotations', STS_REGIONAL_ENDPOINTS_ANNOTATION], String(fields.options.stsRegionalEndpoints));
  }
  if (fields.options?.tokenExpirationSeconds !== undefined) {
    set(['metadata', 'annotations', TOKEN_EXPIRATION_ANNOTATION], String(fields.options.tokenExpirationSeconds));
  }
  if (fields.requestId) set(['metadata', 'annotations', REQUEST_ID_ANNOTATION], fields.requestId);

  const podSpec = { serviceAccountName: fields.name };
  return {
    object: document.toJS() as Record<string, unknown>,
    yaml: document.toString(),
    podSpec,
    podSpecYaml: stringify({ spec: podSpec }),
  };
}

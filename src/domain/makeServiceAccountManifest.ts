import { dump, load } from 'js-yaml';
import type { ManifestOptions } from './accessRequest';

export const ROLE_ARN_ANNOTATION = 'eks.amazonaws.com/role-arn';
export const STS_REGIONAL_ENDPOINTS_ANNOTATION = 'eks.amazonaws.com/sts-regional-endpoints';
export const TOKEN_EXPIRATION_ANNOTATION = 'eks.amazonaws.com/token-expiration';
/**
 * The id of the grant whose apply put the binding there. Ownership is proved by this value matching
 * what the broker recorded for the workload — a label anyone can copy proves nothing.
 */
export const REQUEST_ID_ANNOTATION = 'irsa-broker.io/request-id';
/**
 * A label key of the broker's own, for selecting what it manages. Not Helm's
 * `app.kubernetes.io/managed-by`: Helm owns that key, and a chart's ServiceAccount must not claim the broker.
 */
export const MANAGED_BY_LABEL = 'irsa-broker.io/managed-by';
/**
 * On an adopted ServiceAccount: the labels and annotations the broker overwrote, as they were (JSON).
 * Written in the same apply that overwrites them, so release can restore them exactly, whatever failed in between.
 */
export const ADOPTED_FROM_ANNOTATION = 'irsa-broker.io/adopted-from';
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
  /** The same ServiceAccount as YAML. */
  yaml: string;
  /** What a pod spec needs to run as this ServiceAccount. */
  podSpec: { serviceAccountName: string };
  podSpecYaml: string;
}

/** Plain block YAML, keys in the template's order, no anchors, long values unfolded. */
const DUMP_OPTIONS = { noRefs: true, lineWidth: -1 } as const;

/** Thrown when the shipped template is not a ServiceAccount: a packaging bug, not client input. */
export class ManifestTemplateError extends Error {
  override name = 'ManifestTemplateError';
}

type Metadata = { name?: unknown; namespace?: unknown; labels?: Record<string, string>; annotations?: Record<string, string> };

/**
 * Renders the ServiceAccount from the YAML template text. The template is parsed and each field is
 * set on the parsed object, never substituted as text, so no value can inject YAML.
 */
export function makeServiceAccountManifest(templateText: string, fields: ServiceAccountFields): ServiceAccountManifest {
  let template: unknown;
  try {
    template = load(templateText);
  } catch (error) {
    throw new ManifestTemplateError(`ServiceAccount template is not valid YAML: ${(error as Error).message}`);
  }
  const object = template as { apiVersion?: unknown; kind?: unknown; metadata?: unknown } | null;
  if (object?.apiVersion !== 'v1' || object.kind !== 'ServiceAccount') {
    throw new ManifestTemplateError('ServiceAccount template must have apiVersion v1 and kind ServiceAccount');
  }
  if (!object.metadata || typeof object.metadata !== 'object' || Array.isArray(object.metadata)) {
    throw new ManifestTemplateError('ServiceAccount template must have a metadata mapping');
  }
  const metadata = object.metadata as Metadata;
  const annotations: Record<string, string> = { ...metadata.annotations, [ROLE_ARN_ANNOTATION]: fields.roleArn };
  if (fields.options?.stsRegionalEndpoints !== undefined)
    annotations[STS_REGIONAL_ENDPOINTS_ANNOTATION] = String(fields.options.stsRegionalEndpoints);
  if (fields.options?.tokenExpirationSeconds !== undefined)
    annotations[TOKEN_EXPIRATION_ANNOTATION] = String(fields.options.tokenExpirationSeconds);
  if (fields.requestId) annotations[REQUEST_ID_ANNOTATION] = fields.requestId;
  const rendered = {
    ...object,
    metadata: {
      ...metadata,
      name: fields.name,
      namespace: fields.namespace,
      labels: { ...metadata.labels, [MANAGED_BY_LABEL]: MANAGED_BY_LABEL_VALUE },
      annotations,
    },
  };
  const podSpec = { serviceAccountName: fields.name };
  return {
    object: rendered,
    yaml: dump(rendered, DUMP_OPTIONS),
    podSpec,
    podSpecYaml: dump({ spec: podSpec }, DUMP_OPTIONS),
  };
}

import { arns, issuerHostPath } from './arns';
import type { Partition } from './names';
import { POLICY_VERSION, type PolicyCondition, type PolicyDocument } from './policyDocument';

/** The audience the EKS pod identity webhook puts in projected tokens, in every partition. */
export const IRSA_AUDIENCE = 'sts.amazonaws.com';

export interface TrustSubject {
  partition: Partition;
  accountId: string;
  issuerUrl: string;
  namespace: string;
  serviceAccount: string;
  /** Set only where config allows subject patterns. */
  serviceAccountPattern?: string;
}

/** The `sub` claim Kubernetes writes into a ServiceAccount token. */
export function serviceAccountSubject(namespace: string, serviceAccount: string): string {
  return `system:serviceaccount:${namespace}:${serviceAccount}`;
}

/**
 * The role's trust policy: only tokens from this cluster's OIDC issuer, for this ServiceAccount
 * (or pattern), minted for STS. `aud` always stays `StringEquals`: a pattern there would let
 * tokens meant for other audiences assume the role.
 */
export function makeTrustPolicy(subject: TrustSubject): PolicyDocument {
  const issuer = issuerHostPath(subject.issuerUrl);
  const audience = { [`${issuer}:aud`]: IRSA_AUDIENCE };
  const condition: PolicyCondition = subject.serviceAccountPattern
    ? {
        StringEquals: audience,
        StringLike: { [`${issuer}:sub`]: serviceAccountSubject(subject.namespace, subject.serviceAccountPattern) },
      }
    : { StringEquals: { ...audience, [`${issuer}:sub`]: serviceAccountSubject(subject.namespace, subject.serviceAccount) } };
  return {
    Version: POLICY_VERSION,
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: arns.oidcProvider(subject.partition, subject.accountId, issuer) },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: condition,
      },
    ],
  };
}

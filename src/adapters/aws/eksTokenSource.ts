import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { Partition } from '../../domain/names';

/** The prefix aws-iam-authenticator (and EKS) expect in front of the encoded URL. */
export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** EKS accepts a token for 15 minutes from its signing time; take a new one a minute before. */
const TOKEN_LIFETIME_MS = 14 * 60_000;
/** The presigned URL itself only needs to live as long as one request; EKS checks the 15 minutes. */
const PRESIGN_EXPIRES_SECONDS = 60;

export interface EksTokenTarget {
  clusterName: string;
  region: string;
  partition: Partition;
  /** Signs the token: the cluster's account session. Default: the credentials the source was made with. */
  credentials?: AwsCredentialIdentityProvider;
}

export interface EksToken {
  token: string;
  expiresAt: Date;
}

/** STS's regional host; China's partition has its own domain. */
export function stsHost(region: string, partition: Partition): string {
  return partition === 'aws-cn' ? `sts.${region}.amazonaws.com.cn` : `sts.${region}.amazonaws.com`;
}

/**
 * Bearer tokens for an EKS API server, made the way `aws eks get-token` makes them: a presigned STS
 * GetCallerIdentity URL with the `x-k8s-aws-id` header (the cluster name) signed in, encoded as
 * unpadded base64url after `k8s-aws-v1.`. Signed by the SDK's SigV4 implementation with the
 * target's credentials (the cluster's account session) or else the Lambda's own; cached per
 * credentials and cluster, and renewed before EKS would refuse it.
 */
export class EksTokenSource {
  /**
   * Keyed by the credentials provider first: a token is who signed it, so a spoke session's token
   * is never handed to another session (nor the hub's to a spoke), and the cache goes with the session.
   */
  private readonly cache = new WeakMap<AwsCredentialIdentityProvider, Map<string, EksToken>>();

  constructor(
    private readonly credentials: AwsCredentialIdentityProvider = fromNodeProviderChain(),
    private readonly now: () => Date = () => new Date(),
  ) {}

  async getToken(target: EksTokenTarget): Promise<EksToken> {
    const credentials = target.credentials ?? this.credentials;
    let tokens = this.cache.get(credentials);
    if (!tokens) {
      tokens = new Map();
      this.cache.set(credentials, tokens);
    }
    const key = `${target.partition}/${target.region}/${target.clusterName}`;
    const cached = tokens.get(key);
    if (cached && cached.expiresAt.getTime() > this.now().getTime()) return cached;
    const fresh = await this.mint(target, credentials);
    tokens.set(key, fresh);
    return fresh;
  }

  private async mint(target: EksTokenTarget, credentials: AwsCredentialIdentityProvider): Promise<EksToken> {
    const signingDate = this.now();
    const hostname = stsHost(target.region, target.partition);
    const signer = new SignatureV4({ credentials, region: target.region, service: 'sts', sha256: Sha256 });
    const presigned = await signer.presign(
      {
        method: 'GET',
        protocol: 'https:',
        hostname,
        path: '/',
        query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
        headers: { host: hostname, 'x-k8s-aws-id': target.clusterName },
      },
      { expiresIn: PRESIGN_EXPIRES_SECONDS, signingDate },
    );
    const query = new URLSearchParams(presigned.query as Record<string, string>).toString();
    const url = `https://${hostname}/?${query}`;
    return {
      token: `${EKS_TOKEN_PREFIX}${Buffer.from(url).toString('base64url')}`,
      expiresAt: new Date(signingDate.getTime() + TOKEN_LIFETIME_MS),
    };
  }
}

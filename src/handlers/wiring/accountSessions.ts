import { StsAccountSessions } from '../../adapters/aws/accountSessions';
import { loadBrokerConfig } from '../../config';
import type { ClusterIssuerSource } from '../../ports';

/** Plans have no request id yet; their DescribeCluster sessions are named for what they do. */
const PLAN_SESSION_ID = 'plan';

let sessions: StsAccountSessions | undefined;

/**
 * One set of account sessions per cold start, so each provisioner role is assumed once per request
 * and each cluster described once per account.
 */
export function accountSessions(): StsAccountSessions {
  sessions ??= new StsAccountSessions({ config: loadBrokerConfig() });
  return sessions;
}

/** Issuers read with DescribeCluster in each cluster's own account. */
export function describedIssuers(): ClusterIssuerSource {
  return {
    async getIssuerUrl(cluster) {
      const session = await accountSessions().forCluster(cluster, PLAN_SESSION_ID);
      return (await session.clusters.describeCluster(cluster)).issuerUrl;
    },
  };
}

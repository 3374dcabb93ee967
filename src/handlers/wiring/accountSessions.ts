import { StsAccountSessions } from '../../adapters/aws/accountSessions';
import { describedIssuers } from '../../adapters/clusterIssuers';
import { loadBrokerConfig } from '../../config';
import type { ClusterIssuerSource } from '../../ports';

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
export function clusterIssuers(): ClusterIssuerSource {
  return describedIssuers(accountSessions());
}

import type { BrokerConfig, ClusterConfig } from './brokerConfig';
import { arns } from './arns';

/** The provisioner role's name when config names no ARN; deploy/spoke-account.yaml creates it. */
export const DEFAULT_PROVISIONER_ROLE_NAME = 'irsa-broker-provisioner';

type AccountsConfig = Pick<BrokerConfig, 'clusters' | 'hubAccountId' | 'accounts' | 'rolePath'>;

/** How the broker acts in one account: with its own credentials, or through an assumed role. */
export type AccountAccess =
  { accountId: string; kind: 'hub' } | { accountId: string; kind: 'provisioner'; roleArn: string; externalId?: string };

/** The account the broker runs in: configured, or the one account all clusters share. */
export function hubAccountOf(config: AccountsConfig): string {
  return config.hubAccountId ?? config.clusters[0]?.accountId ?? '';
}

/**
 * How the broker reaches `accountId`: the hub's account uses the broker's own role unless config
 * lists it under `accounts`; every other account goes through its provisioner role, by default
 * `<rolePath>irsa-broker-provisioner` in that account and the clusters' partition.
 */
export function accountAccess(config: AccountsConfig, accountId: string): AccountAccess {
  const account = config.accounts[accountId];
  if (!account && accountId === hubAccountOf(config)) return { accountId, kind: 'hub' };
  const partition = config.clusters[0]?.partition ?? 'aws';
  return {
    accountId,
    kind: 'provisioner',
    roleArn: account?.provisionerRoleArn ?? arns.role(partition, accountId, config.rolePath, DEFAULT_PROVISIONER_ROLE_NAME),
    ...(account?.externalId ? { externalId: account.externalId } : {}),
  };
}

/** How the broker reaches a cluster's account. */
export function clusterAccess(config: AccountsConfig, cluster: Pick<ClusterConfig, 'accountId'>): AccountAccess {
  return accountAccess(config, cluster.accountId);
}

/** Every provisioner role the broker may assume, sorted: exactly what its own role is allowed to assume. */
export function provisionerRoleArns(config: AccountsConfig): string[] {
  const accounts = new Set(config.clusters.map((cluster) => cluster.accountId));
  const roles = [...accounts]
    .map((accountId) => accountAccess(config, accountId))
    .flatMap((access) => (access.kind === 'provisioner' ? [access.roleArn] : []));
  return [...new Set(roles)].sort();
}

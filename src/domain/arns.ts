import type { Partition } from './names';

/** ARNs of the IAM and S3 objects a plan names, in the cluster's partition. */
export const arns = {
  role: (partition: Partition, accountId: string, path: string, name: string) => `arn:${partition}:iam::${accountId}:role${path}${name}`,
  policy: (partition: Partition, accountId: string, path: string, name: string) =>
    `arn:${partition}:iam::${accountId}:policy${path}${name}`,
  oidcProvider: (partition: Partition, accountId: string, issuerHostPath: string) =>
    `arn:${partition}:iam::${accountId}:oidc-provider/${issuerHostPath}`,
  bucket: (partition: Partition, bucket: string) => `arn:${partition}:s3:::${bucket}`,
  objects: (partition: Partition, bucket: string, prefix: string) => `arn:${partition}:s3:::${bucket}/${prefix}*`,
};

/** The issuer as IAM writes it in provider ARNs and condition keys: without "https://". */
export function issuerHostPath(issuerUrl: string): string {
  return issuerUrl.replace(/^https:\/\//, '').replace(/\/+$/, '');
}

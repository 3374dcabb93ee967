/** Where a template is deployed, for resolving its intrinsic functions offline. */
export interface Deployment {
  partition: string;
  region: string;
  accountId: string;
  /** The ARN a resource of the template gets (Fn::GetAtt X.Arn, ${X.Arn}). */
  arnOf: (logicalId: string) => string;
}

/**
 * The value a template's Fn::Sub, Fn::Join and Fn::GetAtt would have once deployed: pseudo
 * parameters and resource ARNs from the deployment.
 */
export function resolveIntrinsics(value: unknown, deployment: Deployment): unknown {
  const attribute = (name: string) => deployment.arnOf(name);
  const sub = (text: string) =>
    text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      const pseudo: Record<string, string> = {
        'AWS::Partition': deployment.partition,
        'AWS::Region': deployment.region,
        'AWS::AccountId': deployment.accountId,
      };
      return pseudo[name] ?? attribute(name.replace(/\.Arn$/, ''));
    });
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, deployment));
  if (typeof value !== 'object' || value === null) return value;
  const object = value as Record<string, unknown>;
  if ('Fn::Sub' in object) return sub(String(object['Fn::Sub']));
  if ('Fn::GetAtt' in object) return attribute(String((object['Fn::GetAtt'] as string[])[0]));
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => resolveIntrinsics(part, deployment)).join(separator);
  }
  return Object.fromEntries(Object.entries(object).map(([key, item]) => [key, resolveIntrinsics(item, deployment)]));
}

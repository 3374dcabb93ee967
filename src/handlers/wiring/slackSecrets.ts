import type { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { clientOptions } from '../../adapters/clientBudgets';

let provider: Promise<SSMProvider> | undefined;

/** Powertools' SSM provider (with its cache), its client under this function's timeouts; loaded on the first secret. */
function ssm(): Promise<SSMProvider> {
  provider ??= import('@aws-lambda-powertools/parameters/ssm').then(
    ({ SSMProvider: Provider }) => new Provider({ clientConfig: clientOptions() }),
  );
  return provider;
}

/** The two secrets a Slack app has. */
export type SlackSecretName = 'SLACK_SIGNING_SECRET' | 'SLACK_BOT_TOKEN';

/**
 * A Slack secret: from the environment when set directly (local runs and tests), else from the SSM
 * SecureString named by `<NAME>_PARAMETER` (deployments), cached for five minutes by Powertools.
 */
export async function slackSecret(name: SlackSecretName, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const direct = env[name];
  if (direct) return direct;
  const parameter = env[`${name}_PARAMETER`];
  if (!parameter) throw new Error(`Slack is not configured: set ${name} or ${name}_PARAMETER`);
  const value = await (await ssm()).get(parameter, { decrypt: true, maxAge: 300 });
  if (!value) throw new Error(`SSM parameter ${parameter} is empty`);
  return value;
}

/** Whether this deployment talks to Slack at all. */
export function slackConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.SLACK_BOT_TOKEN || env.SLACK_BOT_TOKEN_PARAMETER);
}

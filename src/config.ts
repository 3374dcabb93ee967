import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { BrokerConfigSchema, type BrokerConfig } from './domain/brokerConfig';
import { describeIssues } from './domain/parseInput';

/** Where the broker config lives unless IRSA_BROKER_CONFIG says otherwise (relative to the working directory). */
export const DEFAULT_CONFIG_PATH = 'config/broker.yaml';

/** A config file that cannot be used; thrown at cold start so a bad deploy fails at once. */
export class BrokerConfigError extends Error {
  override name = 'BrokerConfigError';
}

/** Parses config text, naming every offending field. */
export function parseBrokerConfig(text: string, source: string): BrokerConfig {
  let raw: unknown;
  try {
    raw = load(text);
  } catch (error) {
    throw new BrokerConfigError(`broker config ${source} is not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  const result = BrokerConfigSchema.safeParse(raw);
  if (!result.success) {
    const fields = describeIssues(result.error).map((issue) => `${issue.path || '(root)'}: ${issue.message}`);
    throw new BrokerConfigError(`broker config ${source} is invalid: ${fields.join('; ')}`);
  }
  return result.data;
}

let cached: BrokerConfig | undefined;

/** The broker config, read and validated once per cold start. */
export function loadBrokerConfig(env: NodeJS.ProcessEnv = process.env): BrokerConfig {
  if (cached) return cached;
  const path = env.IRSA_BROKER_CONFIG || DEFAULT_CONFIG_PATH;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new BrokerConfigError(`cannot read broker config ${path}: ${(error as Error).message}`, { cause: error });
  }
  cached = parseBrokerConfig(text, path);
  return cached;
}

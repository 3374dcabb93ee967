import { join } from 'node:path';
import { parseBrokerConfig } from '../../../src/config';
import { makeLocalConfig, mergeConfig } from '../../../scripts/localConfig.mjs';
import { stringify } from 'yaml';

const root = join(__dirname, '../../..');

describe('mergeConfig', () => {
  it('merges objects key by key and lets the overlay replace anything else, lists included', () => {
    const merged = mergeConfig({ a: { b: 1, c: [1, 2] }, d: 'x' }, { a: { c: [3] }, e: true });

    expect(merged).toEqual({ a: { b: 1, c: [3] }, d: 'x', e: true });
  });
});

describe('makeLocalConfig', () => {
  it('turns provisioning on over config/broker.yaml and stays a valid broker config', () => {
    const { config } = makeLocalConfig({ root, issuersFromEmulator: false, applyAvailable: true });

    const parsed = parseBrokerConfig(stringify(config), 'local');
    expect(parsed.provisioning).toMatchObject({ enabled: true, createOidcProvider: true });
    expect(parsed.delivery.allowApply).toBe(true);
    expect(parsed.verification.afterProvisioning).toBe(true);
    expect(parsed.clusters[0]?.oidcIssuer).toBe('https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE');
  });

  it('leaves issuers to the emulator it did not start, and apply and the check after provisioning off without an API server', () => {
    const { config } = makeLocalConfig({ root, issuersFromEmulator: true, applyAvailable: false });

    expect(config.clusters.map((cluster: { oidcIssuer?: string }) => cluster.oidcIssuer)).toEqual([undefined, undefined]);
    expect(config.delivery.allowApply).toBe(false);
    expect(parseBrokerConfig(stringify(config), 'local').verification.afterProvisioning).toBe(false);
  });
});

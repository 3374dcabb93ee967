import { startLocalDynamo } from '../../scripts/localDynamo.mjs';
import { ensureMotoVenv, HARNESS_EKS_ENV, startMoto } from '../harness/moto/setup.mjs';
import { prepareAccount } from './provisioningHarness';

export interface MotoAndDynamo {
  moto: Awaited<ReturnType<typeof startMoto>>;
  dynamo: Awaited<ReturnType<typeof startLocalDynamo>>;
}

/**
 * moto and dynalite for one test file: started once, moto reset and its account prepared (cluster,
 * OIDC provider, boundary) before every test. Read the servers from the returned object inside tests.
 */
export function useMotoAndDynamo(root: string): MotoAndDynamo {
  const servers = {} as MotoAndDynamo;
  beforeAll(async () => {
    await ensureMotoVenv(root);
    [servers.moto, servers.dynamo] = await Promise.all([
      startMoto(root, { env: HARNESS_EKS_ENV }),
      startLocalDynamo({ root, tableName: 'irsa-broker-test' }),
    ]);
  }, 600_000);
  afterAll(async () => Promise.all([servers.moto?.stop(), servers.dynamo?.stop()]));
  beforeEach(async () => {
    await servers.moto.reset();
    await prepareAccount(servers.moto.endpoint);
  });
  return servers;
}

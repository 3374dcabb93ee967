// A provisioning function in a process of its own, for the fault matrix: it runs provisionGrant with
// the real adapters (moto, dynalite, the kube-apiserver) and, as its plan says, dies with SIGKILL right
// after its n-th call to a dependency returns (before it can record anything more), or hangs forever
// inside that call (the test then kills it, as Lambda's timeout would). Every change it makes in IAM
// or the cluster is appended to a log file as it returns, so the test knows what really happened.
import { appendFileSync } from 'node:fs';
import { EksTokenSource } from '../../src/adapters/aws/eksTokenSource';
import { KubernetesServiceAccountApplier } from '../../src/adapters/k8s/kubernetesServiceAccountApplier';
import type { ProvisioningDeps } from '../../src/usecases/provisioningDeps';
import { provisionGrant } from '../../src/usecases/provisionGrant';
import { BROKER_KEY } from './eksClusterHarness';
import { newCallLog, provisioningDeps } from './provisioningHarness';

export type Dependency = 'iam' | 'kubernetes' | 'dynamodb' | 'sts' | 'eks';

export interface Fault {
  kind: 'kill-after' | 'hang-in';
  dependency: Dependency;
  /** Which call to that dependency (1 = the first this run makes). */
  call: number;
}

export interface FaultPlan {
  requestId: string;
  motoEndpoint: string;
  dynamoEndpoint: string;
  /** Where each change that returned is appended, one JSON line each. */
  changeLog: string;
  fault?: Fault;
}

/** The calls of each dependency the matrix counts; for IAM and the cluster, those that change something. */
const COUNTED: Record<Dependency, readonly string[]> = {
  iam: [
    'createOidcProvider',
    'createPolicy',
    'deletePolicyVersion',
    'deletePolicy',
    'createRole',
    'updateTrustPolicy',
    'putPermissionsBoundary',
    'attachPolicy',
    'detachPolicy',
    'deleteRole',
  ],
  kubernetes: ['apply', 'remove'],
  dynamodb: ['replace'],
  sts: ['forCluster'],
  eks: ['describeCluster'],
};

/** Whether a returned call changed something: creates that found their object and applies that changed nothing did not. */
function changed(method: string, result: unknown): boolean {
  if (method === 'createPolicy' || method === 'createRole') return result === 'created';
  if (method === 'apply') return (result as { outcome?: string }).outcome !== 'unchanged';
  if (method === 'remove') return result !== 'absent';
  return true;
}

/** Calls so far per dependency, across every wrapper of one process (sessions are made per step). */
const callCounts = new Map<Dependency, number>();

/** Wraps a port so that its counted calls are logged and, where the plan says, die or hang. */
export function withFaults<Port extends object>(port: Port, dependency: Dependency, plan: Pick<FaultPlan, 'changeLog' | 'fault'>): Port {
  return new Proxy(port, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || !COUNTED[dependency].includes(String(property))) return value;
      return async (...args: unknown[]) => {
        const call = (callCounts.get(dependency) ?? 0) + 1;
        callCounts.set(dependency, call);
        const fault = plan.fault?.dependency === dependency && plan.fault.call === call ? plan.fault : undefined;
        // Never answers, and keeps the process alive as an open connection would, until it is killed.
        if (fault?.kind === 'hang-in') return new Promise(() => setInterval(() => undefined, 1_000));
        const result = await (value as (...callArgs: unknown[]) => Promise<unknown>).apply(target, args);
        if ((dependency === 'iam' || dependency === 'kubernetes') && changed(String(property), result))
          appendFileSync(
            plan.changeLog,
            `${JSON.stringify({ dependency, method: String(property), args: args.filter((arg) => typeof arg === 'string') })}\n`,
          );
        if (fault?.kind === 'kill-after') process.kill(process.pid, 'SIGKILL');
        return result;
      };
    },
  });
}

/** The harness's provisioning deps with every dependency behind withFaults. */
export function faultyDeps(plan: FaultPlan, base: ProvisioningDeps = harnessDeps(plan)): ProvisioningDeps {
  const applier = withFaults(new KubernetesServiceAccountApplier(new EksTokenSource(async () => BROKER_KEY)), 'kubernetes', plan);
  const accounts = withFaults(
    {
      forCluster: async (...args: Parameters<ProvisioningDeps['accounts']['forCluster']>) => {
        const session = await base.accounts.forCluster(...args);
        return { ...session, iam: withFaults(session.iam, 'iam', plan), clusters: withFaults(session.clusters, 'eks', plan) };
      },
    },
    'sts',
    plan,
  );
  return { ...base, store: withFaults(base.store, 'dynamodb', plan), accounts, serviceAccounts: async () => applier };
}

function harnessDeps(plan: FaultPlan): ProvisioningDeps {
  const delivery = { allowApply: true, createNamespaces: false, allowAdoption: false };
  return provisioningDeps(plan.motoEndpoint, plan.dynamoEndpoint, newCallLog(), { delivery }, newCallLog(), BROKER_KEY);
}

if (process.env.FAULT_PLAN) {
  const plan = JSON.parse(process.env.FAULT_PLAN) as FaultPlan;
  provisionGrant(plan.requestId, faultyDeps(plan)).then(
    (record) => {
      process.stdout.write(`${JSON.stringify({ status: record.status, error: record.provisioning?.lastError })}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}

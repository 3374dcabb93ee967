import { isOwnedByRequest, isOwnedByWorkload, sameDocument } from '../domain/ownership';
import type { AccessRequestRecord, ChangeIntent } from '../domain/requestLifecycle';
import { clusterConnection } from './accountScope';
import type { GrantJournal } from './grantJournal';
import type { ProvisioningDeps } from './provisioningDeps';

type Progress = NonNullable<AccessRequestRecord['provisioning']>;

/** Whether an intended change is in effect now, read from AWS or the cluster; and what progress it means. */
async function readOutcome(
  intent: ChangeIntent,
  record: AccessRequestRecord,
  deps: ProvisioningDeps,
): Promise<Partial<Progress> | undefined> {
  const { plan, request } = record;
  const role = () => deps.iam.findRole(plan.role.name);
  const policy = () => deps.iam.findPolicy(intent.target);
  const attached = async () => ((await role()) ? await deps.iam.listAttachedPolicyArns(plan.role.name) : []);
  const yes = (made: boolean, progress: Partial<Progress> = {}) => (made ? progress : undefined);
  switch (intent.action) {
    case 'CreateOpenIDConnectProvider':
      return yes(await deps.iam.oidcProviderExists(intent.target));
    case 'CreatePolicy': {
      const live = await policy();
      return yes(live !== undefined && isOwnedByRequest(live.tags, record.id), { policyCreated: true });
    }
    case 'DeletePolicyVersion':
      return yes(!((await policy())?.versions ?? []).some((version) => version.versionId === intent.argument));
    case 'DeletePolicy':
      return yes((await policy()) === undefined);
    case 'CreateRole': {
      const live = await role();
      return yes(live !== undefined && isOwnedByWorkload(live.tags, request), { roleCreated: true });
    }
    case 'UpdateAssumeRolePolicy': {
      const live = await role();
      return yes(live !== undefined && sameDocument(live.trustPolicy, plan.role.trustPolicy));
    }
    case 'PutRolePermissionsBoundary':
      return yes((await role())?.permissionsBoundaryArn === plan.role.permissionsBoundaryArn);
    case 'AttachRolePolicy': {
      const arn = intent.argument ?? '';
      return yes((await attached()).includes(arn), { attached: [...new Set([...(record.provisioning?.attached ?? []), arn])] });
    }
    case 'DetachRolePolicy':
      return yes(!(await attached()).includes(intent.argument ?? ''));
    case 'DeleteRole':
      return yes((await role()) === undefined);
    case 'ApplyServiceAccount':
    case 'RemoveServiceAccount': {
      const applier = await deps.serviceAccounts();
      const facts = await applier.describe(await clusterConnection(plan, record.id, deps), request.namespace, request.serviceAccount, [
        record.id,
      ]);
      const applied = facts !== undefined && facts.owned && facts.roleArn === plan.role.arn;
      if (intent.action === 'RemoveServiceAccount') return yes(!facts?.owned);
      return yes(applied, { serviceAccount: record.provisioning?.serviceAccount ?? (facts?.adopted ? 'adopted' : 'created') });
    }
  }
}

/**
 * Settles the change a stopped run recorded as intended but never confirmed: a read says whether it
 * happened, and the trail then records it as made (with the progress it means) or as not made. Runs
 * first in every run that takes a request up again (a resumed provisioning, a revoke), before it
 * changes anything. `deps` act in the cluster's account.
 */
export async function settlePendingIntent(journal: GrantJournal, deps: ProvisioningDeps): Promise<void> {
  const intent = journal.current.provisioning?.intent;
  if (!intent) return;
  const progress = await readOutcome(intent, journal.current, deps);
  await journal.settle(
    progress !== undefined,
    progress !== undefined
      ? `${intent.reason} (confirmed by a read: the run that made it stopped before recording it)`
      : `${intent.reason} (a read shows it did not happen: the run stopped before or during the call)`,
    progress ?? {},
  );
}

import { ProvisionJobSchema } from '../domain/jobs';
import { provisionGrant } from '../usecases/provisionGrant';
import { provisioningDeps } from './wiring/provisioningDeps';

/**
 * Invoked asynchronously with a ProvisionJob (`{ requestId }`, the schema the approving function
 * encoded it with) once a request is approved. Failures are recorded on
 * the request (status `failed`, `provisioning.lastError`) rather than thrown, so Lambda's own
 * retries only happen for crashes, and they resume where the crash stopped.
 */
export const handler = async (event: unknown): Promise<{ requestId: string; status: string }> => {
  const { requestId } = ProvisionJobSchema.parse(event);
  const record = await provisionGrant(requestId, provisioningDeps());
  console.log(
    JSON.stringify({
      level: 'INFO',
      message: 'provisioning finished',
      requestId,
      status: record.status,
      error: record.provisioning?.lastError,
    }),
  );
  return { requestId, status: record.status };
};

import { join } from 'node:path';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SqsFailedInvocations } from '../../src/adapters/aws/sqsFailedInvocations';
import type { CallerIdentity } from '../../src/domain/identity';
import { RequestStatus } from '../../src/domain/requestLifecycle';
import { approveAccessRequest } from '../../src/usecases/decideAccessRequest';
import { provisionGrant } from '../../src/usecases/provisionGrant';
import { submitAccessRequest } from '../../src/usecases/submitAccessRequest';
import { sweepRequests } from '../../src/usecases/sweepRequests';
import { useMotoAndDynamo } from '../support/motoAndDynamo';
import { newCallLog, provisioningDeps } from '../support/provisioningHarness';

// The on-failure destination, as Lambda fills it: an SQS queue (moto's) holding the destination
// records of invocations Lambda gave up on. The sweep drains it through the real adapter.

const root = join(__dirname, '../..');
const developer: CallerIdentity = { subject: 'dev-1', groups: ['developers'], source: 'jwt' };
const approver: CallerIdentity = { subject: 'approver-1', groups: ['approvers'], source: 'jwt' };
const servers = useMotoAndDynamo(root);

/** What Lambda sends to an SQS on-failure destination (the documented invocation record). */
const destinationRecord = (payload: unknown) =>
  JSON.stringify({
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: {
      requestId: 'a1b2',
      functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:x',
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    },
    requestPayload: payload,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType: 'Error', errorMessage: 'Task timed out' },
  });

describe('the on-failure destination', () => {
  it('is drained by the sweep: a provisioning job Lambda gave up on is provisioned, and the queue is left empty', async () => {
    // Arrange
    const sqs = new SQSClient({
      endpoint: servers.moto.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `failed-invocations-${Date.now()}` }));
    const base = provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, newCallLog());
    const { id } = await submitAccessRequest(
      {
        cluster: 'harness',
        namespace: 'payments',
        serviceAccount: `lost-${Date.now().toString(36)}`,
        grants: [{ type: 's3', bucket: 'acme-invoices', level: 'read' }],
      },
      developer,
      base,
    );
    await approveAccessRequest(id, approver, undefined, base);
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: destinationRecord({ requestId: id }) }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'not a destination record' }));
    const ran: Promise<unknown>[] = [];
    const deps = {
      ...base,
      failedInvocations: new SqsFailedInvocations(sqs, QueueUrl!),
      queue: { enqueue: async (job: { requestId: string }) => void ran.push(provisionGrant(job.requestId, base)) },
    };

    // Act: at once, not two minutes after approval — the destination says the hand-off was lost.
    const report = await sweepRequests(deps);
    await Promise.all(ran);

    // Assert
    expect(report.failedInvocations).toBe(2);
    expect(report.handedOff).toEqual([id]);
    expect(report.droppedInvocations).toEqual([{ kind: 'unreadable' }]);
    expect((await base.store.get(id))?.status).toBe(RequestStatus.Active);
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    expect(attributes.Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });
});

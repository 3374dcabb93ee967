import type { ProvisioningQueue } from '../../ports';
import { DependencyUnavailableError } from '../../domain/errors';

/**
 * Hands a request to the provisioning function with an asynchronous Lambda invoke: Lambda queues
 * the event, retries it twice on failure, and the approving caller does not wait for IAM. The SDK
 * client is loaded on first use, so functions that never hand anything over never load it.
 */
export class LambdaProvisioningQueue implements ProvisioningQueue {
  private client: Promise<{ send: (command: unknown) => Promise<unknown>; command: (requestId: string) => unknown }> | undefined;

  constructor(private readonly functionName: string) {}

  async enqueue(requestId: string): Promise<void> {
    this.client ??= import('@aws-sdk/client-lambda').then(({ LambdaClient, InvokeCommand }) => {
      const lambda = new LambdaClient({});
      return {
        send: (command: unknown) => lambda.send(command as InstanceType<typeof InvokeCommand>),
        command: (id: string) =>
          new InvokeCommand({
            FunctionName: this.functionName,
            InvocationType: 'Event',
            Payload: new TextEncoder().encode(JSON.stringify({ requestId: id })),
          }),
      };
    });
    const { send, command } = await this.client;
    try {
      await send(command(requestId));
    } catch (error) {
      throw new DependencyUnavailableError(
        'PROVISIONING_HANDOFF_FAILED',
        `could not start provisioning of ${requestId}; POST /access-requests/${requestId}/retry`,
        {
          cause: error,
        },
      );
    }
  }
}

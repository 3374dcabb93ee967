import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DependencyUnavailableError } from '../../domain/errors';
import { ReconcileCursorSchema, type ReconcileCursor } from '../../domain/reconcileCursor';
import type { ReconcileCursorStore } from '../../ports';

/**
 * One small item per account in the broker's table. It has none of the attributes the indexes are
 * keyed by (entity, status, cluster, …), so it never shows up in a list of requests or workloads.
 */
const keyOf = (accountId: string) => ({ pk: `RECONCILE#${accountId}`, sk: 'CURSOR' });

interface Item {
  pk: string;
  sk: string;
  cursor: ReconcileCursor;
}

/** Where each account's reconcile cycle stands. The last writer wins: passes of one account run one at a time (one SQS message group). */
export class DynamoReconcileCursorStore implements ReconcileCursorStore {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async get(accountId: string): Promise<ReconcileCursor | undefined> {
    const output = await this.call('read', () =>
      this.documents.send(new GetCommand({ TableName: this.tableName, Key: keyOf(accountId), ConsistentRead: true })),
    );
    const item = output.Item as Item | undefined;
    // A cursor this version cannot read only costs a pass from the start.
    const parsed = item && ReconcileCursorSchema.safeParse(item.cursor);
    return parsed?.success ? parsed.data : undefined;
  }

  async put(cursor: ReconcileCursor): Promise<void> {
    const item: Item = { ...keyOf(cursor.accountId), cursor };
    await this.call('write', () => this.documents.send(new PutCommand({ TableName: this.tableName, Item: item })));
  }

  private async call<Output>(kind: 'read' | 'write', send: () => Promise<Output>): Promise<Output> {
    try {
      return await send();
    } catch (error) {
      throw new DependencyUnavailableError(
        'STORE_UNAVAILABLE',
        `the reconcile cursor could not be ${kind === 'read' ? 'read' : 'written'}`,
        {
          cause: error,
        },
      );
    }
  }
}

import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ReplayGuard } from '../../ports';
import { storeFailure } from './dynamoFailures';

/** Seen keys as items of the single table, dropped by its TTL. A conditional put makes "first" exact. */
export class DynamoReplayGuard implements ReplayGuard {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.documents = DynamoDBDocumentClient.from(client);
  }

  async firstSeen(key: string, ttlSeconds: number): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `SEEN#${key}`, sk: 'SEEN', expiration: Math.floor(this.now().getTime() / 1000) + ttlSeconds },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') return false;
      throw storeFailure(error, 'the replay guard could not record the request');
    }
  }
}

import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../../domain/errors';
import type { WorkloadRecord } from '../../domain/workload';
import type { Page, WorkloadFilter, WorkloadStore } from '../../ports';
import { AccessRequestIndex } from './dynamoAccessRequestStore';
import { decodeCursor, encodeCursor, readFullPage } from './dynamoCursor';
import { cursorRefusal, storeFailure } from './dynamoFailures';

const ENTITY = 'workload';
const keyOf = (key: string) => ({ pk: `WL#${key}`, sk: 'WL' });

/**
 * The workload item. Its cluster and namespace sit under names of their own: the request indexes
 * are keyed by `cluster`, `clusterNamespace` and `status`, and workloads must not appear in them.
 * Workloads are listed through the `byCreated` index under their own entity value.
 */
interface Item {
  pk: string;
  sk: string;
  version: number;
  entity: typeof ENTITY;
  createdKey: string;
  workloadCluster: string;
  workloadNamespace: string;
  record: WorkloadRecord;
}

function toItem(record: WorkloadRecord): Item {
  return {
    ...keyOf(record.key),
    version: record.version,
    entity: ENTITY,
    createdKey: `${record.createdAt}#${record.key}`,
    workloadCluster: record.cluster,
    workloadNamespace: record.namespace,
    record,
  };
}

const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException';

/** Workloads in the broker's one table, each a single item whose `version` guards every write. */
export class DynamoWorkloadStore implements WorkloadStore {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async get(key: string): Promise<WorkloadRecord | undefined> {
    const output = await this.call('read', () =>
      this.documents.send(new GetCommand({ TableName: this.tableName, Key: keyOf(key), ConsistentRead: true })),
    );
    return (output.Item as Item | undefined)?.record;
  }

  async put(record: WorkloadRecord, expectedVersion: number | undefined): Promise<void> {
    const condition =
      expectedVersion === undefined
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': expectedVersion } };
    await this.call(
      'write',
      () => this.documents.send(new PutCommand({ TableName: this.tableName, Item: toItem(record), ...condition })),
      record.key,
    );
  }

  async delete(key: string, expectedVersion: number): Promise<void> {
    await this.call(
      'write',
      () =>
        this.documents.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: keyOf(key),
            ConditionExpression: 'version = :expected',
            ExpressionAttributeValues: { ':expected': expectedVersion },
          }),
        ),
      key,
    );
  }

  async list(filter: WorkloadFilter, page: { limit: number; cursor?: string }): Promise<Page<WorkloadRecord>> {
    const index = AccessRequestIndex.ByCreated.name;
    const fingerprint = JSON.stringify(['workloads', filter.cluster, filter.namespace]);
    const startKey = page.cursor
      ? decodeCursor(page.cursor, index, fingerprint, { names: ['pk', 'sk', 'entity', 'createdKey'], fixed: { entity: ENTITY } })
      : undefined;
    const conditions = [
      ...(filter.cluster ? [['workloadCluster', filter.cluster]] : []),
      ...(filter.namespace ? [['workloadNamespace', filter.namespace]] : []),
    ];
    const residual = conditions.length
      ? {
          FilterExpression: conditions.map(([name]) => `#${name} = :${name}`).join(' AND '),
          ExpressionAttributeNames: Object.fromEntries(conditions.map(([name]) => [`#${name}`, name!])),
          ExpressionAttributeValues: Object.fromEntries(conditions.map(([name, value]) => [`:${name}`, value!])),
        }
      : {};
    const { items, more: mayHaveMore } = await readFullPage<Item>(
      (limit, exclusiveStartKey) =>
        this.call(
          'read',
          () =>
            this.documents.send(
              new QueryCommand({
                TableName: this.tableName,
                IndexName: index,
                KeyConditionExpression: '#entity = :entity',
                ...residual,
                ExpressionAttributeNames: { ...residual.ExpressionAttributeNames, '#entity': 'entity' },
                ExpressionAttributeValues: { ...residual.ExpressionAttributeValues, ':entity': ENTITY },
                ScanIndexForward: false,
                Limit: limit,
                ExclusiveStartKey: exclusiveStartKey,
              }),
            ),
          undefined,
          exclusiveStartKey === startKey && startKey !== undefined,
        ),
      page.limit,
      startKey,
    );
    const last = items[items.length - 1];
    const more = mayHaveMore && last !== undefined;
    return {
      items: items.map((item) => item.record),
      ...(more && last
        ? {
            nextCursor: encodeCursor({
              index,
              filter: fingerprint,
              key: { pk: last.pk, sk: last.sk, entity: ENTITY, createdKey: last.createdKey },
            }),
          }
        : {}),
    };
  }

  private async call<Output>(kind: 'read' | 'write', send: () => Promise<Output>, key?: string, cursorGiven = false): Promise<Output> {
    try {
      return await send();
    } catch (error) {
      if (kind === 'write' && isConditionFailure(error)) {
        throw new ConflictError('CONCURRENT_UPDATE', `workload ${key} changed while this change was being made`, { cause: error });
      }
      throw (
        cursorRefusal(error, cursorGiven) ?? storeFailure(error, `the workload store could not be ${kind === 'read' ? 'read' : 'written'}`)
      );
    }
  }
}

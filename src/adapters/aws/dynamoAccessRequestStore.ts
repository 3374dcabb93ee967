import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { ConflictError, DependencyUnavailableError, MalformedRequestError } from '../../domain/errors';
import { workloadKeyOf } from '../../domain/workload';
import { decodeCursor, encodeCursor } from './dynamoCursor';
import type { AccessRequestRecord } from '../../domain/requestLifecycle';
import type { AccessRequestFilter, AccessRequestStore, Page } from '../../ports';

/** Global secondary indexes of the single table (declared in serverless.yml), one per list filter. */
export const AccessRequestIndex = {
  ByNamespace: { name: 'byNamespace', partitionKey: 'clusterNamespace' },
  ByRequester: { name: 'byRequester', partitionKey: 'requester' },
  ByCluster: { name: 'byCluster', partitionKey: 'cluster' },
  ByStatus: { name: 'byStatus', partitionKey: 'status' },
  ByCreated: { name: 'byCreated', partitionKey: 'entity' },
  ByWorkload: { name: 'byWorkload', partitionKey: 'workloadKey' },
} as const;
type IndexName = (typeof AccessRequestIndex)[keyof typeof AccessRequestIndex]['name'];
const SORT_KEY = 'createdKey';
const ENTITY = 'access-request';

interface Item {
  pk: string;
  sk: string;
  version: number;
  entity: string;
  status: string;
  cluster: string;
  namespace: string;
  clusterNamespace: string;
  workloadKey: string;
  requester: string;
  createdKey: string;
  record: AccessRequestRecord;
}

const keyOf = (id: string) => ({ pk: `REQ#${id}`, sk: 'REQ' });

function toItem(record: AccessRequestRecord): Item {
  return {
    ...keyOf(record.id),
    version: record.version,
    entity: ENTITY,
    status: record.status,
    cluster: record.request.cluster,
    namespace: record.request.namespace,
    clusterNamespace: `${record.request.cluster}#${record.request.namespace}`,
    workloadKey: workloadKeyOf(record.request.cluster, record.request.namespace, record.request.serviceAccount),
    requester: record.requester.subject,
    createdKey: `${record.createdAt}#${record.id}`,
    record,
  };
}

/** The most selective index for a filter, and the key value to query it with. */
function chooseIndex(filter: AccessRequestFilter): { index: IndexName; attribute: string; value: string } {
  if (filter.cluster && filter.namespace && filter.serviceAccount) {
    return {
      index: AccessRequestIndex.ByWorkload.name,
      attribute: 'workloadKey',
      value: workloadKeyOf(filter.cluster, filter.namespace, filter.serviceAccount),
    };
  }
  if (filter.cluster && filter.namespace) {
    return { index: AccessRequestIndex.ByNamespace.name, attribute: 'clusterNamespace', value: `${filter.cluster}#${filter.namespace}` };
  }
  if (filter.requester) return { index: AccessRequestIndex.ByRequester.name, attribute: 'requester', value: filter.requester };
  if (filter.cluster) return { index: AccessRequestIndex.ByCluster.name, attribute: 'cluster', value: filter.cluster };
  if (filter.status) return { index: AccessRequestIndex.ByStatus.name, attribute: 'status', value: filter.status };
  return { index: AccessRequestIndex.ByCreated.name, attribute: 'entity', value: ENTITY };
}

/** Filters the chosen index does not cover become a FilterExpression on plain attributes. */
function residualFilter(
  filter: AccessRequestFilter,
  index: IndexName,
): Pick<QueryCommandInput, 'FilterExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> {
  const covered: Record<IndexName, readonly string[]> = {
    byNamespace: ['cluster', 'namespace'],
    byRequester: ['requester'],
    byCluster: ['cluster'],
    byStatus: ['status'],
    byCreated: [],
    byWorkload: ['cluster', 'namespace', 'serviceAccount'],
  };
  const remaining = Object.entries(filter).filter(([attribute, value]) => value !== undefined && !covered[index].includes(attribute));
  if (remaining.length === 0) return {};
  return {
    FilterExpression: remaining.map(([attribute]) => `#${attribute} = :${attribute}`).join(' AND '),
    ExpressionAttributeNames: Object.fromEntries(remaining.map(([attribute]) => [`#${attribute}`, attribute])),
    ExpressionAttributeValues: Object.fromEntries(remaining.map(([attribute, value]) => [`:${attribute}`, value])),
  };
}

/** Access requests in one DynamoDB table, each a single item whose `version` guards every write. */
export class DynamoAccessRequestStore implements AccessRequestStore {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async create(record: AccessRequestRecord): Promise<void> {
    await this.write(
      new PutCommand({ TableName: this.tableName, Item: toItem(record), ConditionExpression: 'attribute_not_exists(pk)' }),
      () => new ConflictError('DUPLICATE_ID', `access request ${record.id} already exists`),
    );
  }

  async get(id: string): Promise<AccessRequestRecord | undefined> {
    const output = await this.call(() =>
      this.documents.send(new GetCommand({ TableName: this.tableName, Key: keyOf(id), ConsistentRead: true })),
    );
    return (output.Item as Item | undefined)?.record;
  }

  async replace(record: AccessRequestRecord, expectedVersion: number): Promise<void> {
    await this.write(
      new PutCommand({
        TableName: this.tableName,
        Item: toItem(record),
        ConditionExpression: 'version = :expected',
        ExpressionAttributeValues: { ':expected': expectedVersion },
      }),
      () => new ConflictError('CONCURRENT_UPDATE', `access request ${record.id} changed while this decision was being made`),
    );
  }

  async list(filter: AccessRequestFilter, page: { limit: number; cursor?: string }): Promise<Page<AccessRequestRecord>> {
    const { index, attribute, value } = chooseIndex(filter);
    const fingerprint = JSON.stringify([filter.status, filter.cluster, filter.namespace, filter.requester, filter.serviceAccount]);
    let startKey = page.cursor ? decodeCursor(page.cursor, index, fingerprint) : undefined;
    const residual = residualFilter(filter, index);
    const items: Item[] = [];
    // Filters apply after DynamoDB's Limit, so keep reading until the page is full or the index ends.
    do {
      const output = await this.call(() =>
        this.documents.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: index,
            KeyConditionExpression: '#key = :key',
            ...residual,
            ExpressionAttributeNames: { ...residual.ExpressionAttributeNames, '#key': attribute },
            ExpressionAttributeValues: { ...residual.ExpressionAttributeValues, ':key': value },
            ScanIndexForward: false,
            Limit: page.limit - items.length,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      items.push(...((output.Items ?? []) as Item[]));
      startKey = output.LastEvaluatedKey as Record<string, string | number> | undefined;
    } while (startKey && items.length < page.limit);

    const last = items[items.length - 1];
    const more = items.length === page.limit && last !== undefined && startKey !== undefined;
    const lastKey = last && { pk: last.pk, sk: last.sk, [attribute]: value, [SORT_KEY]: last.createdKey };
    return {
      items: items.map((item) => item.record),
      ...(more && lastKey ? { nextCursor: encodeCursor({ index, filter: fingerprint, key: lastKey }) } : {}),
    };
  }

  private async write(command: PutCommand, conflict: () => ConflictError): Promise<void> {
    try {
      await this.documents.send(command);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') {
        const mapped = conflict();
        throw new ConflictError(mapped.code, mapped.message, { cause: error });
      }
      throw new DependencyUnavailableError('STORE_UNAVAILABLE', 'the request store could not be written', { cause: error });
    }
  }

  private async call<Output>(send: () => Promise<Output>): Promise<Output> {
    try {
      return await send();
    } catch (error) {
      if (error instanceof MalformedRequestError) throw error;
      throw new DependencyUnavailableError('STORE_UNAVAILABLE', 'the request store could not be read', { cause: error });
    }
  }
}

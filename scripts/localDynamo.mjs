// The embedded DynamoDB for the local API and tests: dynalite (DynamoDB on LevelDB) on a loopback
// port, with the single table created from serverless.yml's definition.
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { createTableInput, readServiceDefinition } from './serviceDefinition.mjs';
import { freePort } from './freePort.mjs';

export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
export const LOCAL_REGION = 'eu-west-1';

/**
 * Starts dynalite (data in `path`, or in memory when absent) and makes sure the table exists.
 * Returns the endpoint and a stop function.
 * @param {{ root: string, tableName: string, path?: string, port?: number }} options
 */
export async function startLocalDynamo({ root, tableName, path = undefined, port = undefined }) {
  const listenPort = port ?? (await freePort());
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', resolve);
  });
  const endpoint = `http://127.0.0.1:${listenPort}`;
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if (error.name !== 'ResourceNotFoundException') throw error;
    await client.send(new CreateTableCommand(createTableInput(readServiceDefinition(root), tableName)));
  }
  client.destroy();
  return { endpoint, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

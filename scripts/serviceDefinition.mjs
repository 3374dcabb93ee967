// Reads serverless.yml as data (CloudFormation tags kept as plain values), so that scripts, the
// benchmark and tests take functions, esbuild options and the table from the one definition.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const TAGS = ['Sub', 'Ref', 'GetAtt', 'Join', 'If', 'Equals', 'Not', 'Select', 'Split', 'ImportValue', 'FindInMap'];
const customTags = TAGS.flatMap((tag) => [
  { tag: `!${tag}`, resolve: (value) => value },
  { tag: `!${tag}`, collection: 'seq', resolve: (value) => value },
]);

export function readServiceDefinition(root) {
  return parse(readFileSync(join(root, 'serverless.yml'), 'utf8'), { customTags });
}

/** CreateTable input for the single table, from its CloudFormation resource, under the given name. */
export function createTableInput(service, tableName) {
  const { AttributeDefinitions, KeySchema, GlobalSecondaryIndexes, BillingMode } =
    service.resources.Resources.AccessRequestsTable.Properties;
  return { TableName: tableName, AttributeDefinitions, KeySchema, GlobalSecondaryIndexes, BillingMode };
}

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const DOMAIN = join(__dirname, '../../src/domain');
const FORBIDDEN = [
  /^@aws-sdk\//,
  /^@smithy\//,
  /^@middy\//,
  /^aws-lambda$/,
  /^@kubernetes\//,
  /^@slack\//,
  /^(node:)?(fs|http|https|net|child_process)(\/|$)/,
];

function importsOf(source: string): string[] {
  const specifiers = [
    ...source.matchAll(
      /(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g,
    ),
  ];
  return specifiers.map((match) => match[1] ?? match[2] ?? match[3] ?? '');
}

describe('src/domain', () => {
  const files = readdirSync(DOMAIN, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));

  it('holds the pure planning code', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it.each(files)('%s imports no AWS SDK, Lambda, middy or I/O module', (file) => {
    const forbidden = importsOf(readFileSync(join(DOMAIN, file), 'utf8')).filter((specifier) =>
      FORBIDDEN.some((pattern) => pattern.test(specifier)),
    );
    expect(forbidden).toEqual([]);
  });

  it('would catch such an import', () => {
    expect(importsOf("import { IAMClient } from '@aws-sdk/client-iam';\nconst m = await import('@middy/core');")).toEqual([
      '@aws-sdk/client-iam',
      '@middy/core',
    ]);
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

const root = join(__dirname, '../..');

describe('npx serverless package', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'irsa-broker-package-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('works offline and emits the template and one zip per function', () => {
    execFileSync(process.execPath, [join(root, 'node_modules/.bin/serverless'), 'package', '--package', outDir], {
      cwd: root,
      // No credentials and no network beyond loopback: packaging must not need either.
      env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' },
      stdio: 'pipe',
    });
    const files = readdirSync(outDir);
    const service = parse(readFileSync(join(root, 'serverless.yml'), 'utf8'), {
      logLevel: 'silent',
      customTags: [{ tag: '!Sub', resolve: (value: string) => value }],
    });
    const functions = Object.keys(service.functions);
    expect(files).toContain('cloudformation-template-update-stack.json');
    expect(files.filter((file) => file.endsWith('.zip')).sort()).toEqual(functions.map((name) => `${name}.zip`).sort());
    const template = JSON.parse(readFileSync(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8'));
    const lambdas = Object.values(template.Resources as Record<string, { Type: string; Properties: { Runtime?: string } }>).filter(
      (resource) => resource.Type === 'AWS::Lambda::Function',
    );
    expect(lambdas).toHaveLength(functions.length);
    lambdas.forEach((lambda) => expect(lambda.Properties.Runtime).toBe('nodejs22.x'));
  }, 180_000);
});

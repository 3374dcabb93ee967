import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeOpenApiDocument } from '../../../src/api/openApiDocument';

const root = join(__dirname, '../../..');
const cli = join(root, 'node_modules/@redocly/cli/bin/cli.js');

interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location: { pointer: string }[];
}

/** `redocly lint` with the project's redocly.yaml, as JSON; no telemetry, no update check. */
async function lint(document: unknown): Promise<LintProblem[]> {
  const dir = mkdtempSync(join(tmpdir(), 'openapi-lint-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(document));
    const run = promisify(execFile)(process.execPath, [cli, 'lint', file, '--format=json', `--config=${join(root, 'redocly.yaml')}`], {
      cwd: root,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    });
    // Exit code 1 means "errors found"; the report is on stdout either way.
    const { stdout } = await run.catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    return (JSON.parse(stdout) as { problems: LintProblem[] }).problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the OpenAPI document under @redocly/cli lint', () => {
  it('has no errors: servers, a summary and security on every operation, a licence', async () => {
    const problems = await lint(makeOpenApiDocument('1.2.3'));

    const errors = problems.filter((problem) => problem.severity === 'error');
    expect(errors.map((error) => `${error.ruleId} at ${error.location[0]?.pointer}: ${error.message}`)).toEqual([]);
  }, 60_000);

  it('reports a missing summary as an error, so the check above has teeth', async () => {
    const document = makeOpenApiDocument('1.2.3') as { paths: Record<string, Record<string, { summary?: string }>> };
    delete document.paths['/healthz']!.get!.summary;

    const problems = await lint(document);

    expect(problems).toContainEqual(expect.objectContaining({ ruleId: 'operation-summary', severity: 'error' }));
  }, 60_000);
});

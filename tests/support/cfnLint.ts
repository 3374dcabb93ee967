import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

interface CfnLintMatch {
  Level: string;
  Message: string;
  Rule: { Id: string };
  Location: { Path?: unknown[] };
}

/**
 * cfn-lint (pinned in the moto venv's requirements) on one template: its errors, as
 * "E1234 message (path)". Warnings and informational findings are not errors.
 */
export function cfnLintErrors(root: string, template: string): string[] {
  const result = spawnSync(join(root, '.harness/venv/bin/cfn-lint'), ['--format', 'json', '--', template], { encoding: 'utf8' });
  if (result.error) throw result.error;
  // Exit codes are a bit mask: 2 errors, 4 warnings, 8 informational; 1 means cfn-lint itself failed.
  if (result.status === 1 || result.status === null) throw new Error(`cfn-lint failed (${result.status}): ${result.stderr}`);
  const matches = JSON.parse(result.stdout || '[]') as CfnLintMatch[];
  return matches
    .filter((match) => match.Level === 'Error')
    .map((match) => `${match.Rule.Id} ${match.Message} (${(match.Location.Path ?? []).join('/')})`);
}

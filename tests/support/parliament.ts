import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ParliamentFinding {
  issue: string;
  location: { type?: string; actions?: string[] };
}

/**
 * What parliament (pinned in the harness venv) finds in a policy of `statements`, community auditors
 * (privilege escalation among them) included, down to LOW. It exits 1 when it finds anything; the
 * findings are what count, and anything on stderr is a failure of the run itself.
 */
export function parliamentFindings(root: string, statements: unknown[]): ParliamentFinding[] {
  const dir = mkdtempSync(join(tmpdir(), 'irsa-broker-parliament-'));
  try {
    const policyFile = join(dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify({ Version: '2012-10-17', Statement: statements }));
    const { stdout, stderr } = spawnSync(
      join(root, '.harness/venv/bin/parliament'),
      ['--files', policyFile, '--json', '--include-community-auditors', '--minimum_severity', 'LOW'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    if (stderr) throw new Error(`parliament failed: ${stderr}`);
    return stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as ParliamentFinding);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/freePort.mjs';
import { assertKubeHarnessAvailable } from '../harness/kube/build.mjs';

export interface LocalApi {
  baseUrl: string;
  output: () => string;
  stop: () => Promise<void>;
}

/** Runs the README's first line (`npm start`, i.e. scripts/start-local.mjs) and waits for its banner. */
export async function startLocalApi(env: Record<string, string> = {}, timeoutMs = 240_000): Promise<LocalApi> {
  // npm start delivers to the harness's API server when it is built; a run without it is not the one tested.
  assertKubeHarnessAvailable();
  const [port, lambdaPort, motoPort] = [await freePort(), await freePort(), await freePort()];
  const dataDir = mkdtempSync(join(tmpdir(), 'irsa-broker-data-'));
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, '../../scripts/start-local.mjs')], {
    env: {
      ...process.env,
      ...env,
      PORT: String(port),
      LAMBDA_PORT: String(lambdaPort),
      MOTO_PORT: String(motoPort),
      IRSA_BROKER_DATA_DIR: dataDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const stop = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        rmSync(dataDir, { recursive: true, force: true });
        resolve();
      };
      if (child.exitCode !== null) return done();
      child.once('exit', done);
      child.kill('SIGTERM');
    });
  const deadline = Date.now() + timeoutMs;
  const match = () => output.match(/irsa-broker is running at (http:\/\/\S+)/);
  while (!match()) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`npm start did not come up:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { baseUrl: match()![1]!, output: () => output, stop };
}

/** A token for the local API, made by the same script the README uses. */
export function localToken(sub: string, groups: string[]): string {
  return execFileSync(process.execPath, [
    join(__dirname, '../../scripts/local-token.mjs'),
    '--sub',
    sub,
    '--groups',
    groups.join(','),
  ]).toString();
}

/** One role as scripts/emulator-roles.mjs prints it. */
export interface EmulatorRole {
  arn: string;
  trustPolicy: { Statement: Record<string, unknown>[] };
  attachedPolicies: { arn: string; document?: unknown }[];
}

/** The commands npm start printed under `heading` (the lines indented by two spaces after it). */
export function printedCommands(output: string, heading: string): string {
  const lines = output.split('\n');
  const start = lines.findIndex((line) => line.startsWith(heading));
  if (start < 0) throw new Error(`npm start printed no "${heading}" block:\n${output}`);
  const commands: string[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('  ')) break;
    commands.push(line.slice(2));
  }
  return commands.join('\n');
}

/** Every pretty-printed JSON value in `output` that starts where `start` matches, in order. */
export function jsonObjects(output: string, start: RegExp): any[] {
  const found = [];
  let rest = output;
  for (let match = start.exec(rest); match; match = start.exec(rest)) {
    rest = rest.slice(match.index);
    const close = rest[0] === '[' ? '\n]' : '\n}';
    const end = rest.indexOf(close) + close.length;
    found.push(JSON.parse(rest.slice(0, end)));
    rest = rest.slice(end);
  }
  return found;
}

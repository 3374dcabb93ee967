import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/freePort.mjs';

export interface LocalApi {
  baseUrl: string;
  output: () => string;
  stop: () => Promise<void>;
}

/** Runs the README's first line (`npm start`, i.e. scripts/start-local.mjs) and waits for its banner. */
export async function startLocalApi(env: Record<string, string> = {}, timeoutMs = 240_000): Promise<LocalApi> {
  const [port, lambdaPort] = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(join(tmpdir(), 'irsa-broker-data-'));
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, '../../scripts/start-local.mjs')], {
    env: { ...process.env, ...env, PORT: String(port), LAMBDA_PORT: String(lambdaPort), IRSA_BROKER_DATA_DIR: dataDir },
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

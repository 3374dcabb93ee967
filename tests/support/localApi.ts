import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A free loopback port, found by binding port 0. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface LocalApi {
  baseUrl: string;
  output: () => string;
  stop: () => Promise<void>;
}

/** Runs the README's first line (`npm start`, i.e. scripts/start-local.mjs) and waits for its banner. */
export async function startLocalApi(env: Record<string, string> = {}, timeoutMs = 120_000): Promise<LocalApi> {
  const [port, lambdaPort] = [await freePort(), await freePort()];
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, '../../scripts/start-local.mjs')], {
    env: { ...process.env, ...env, PORT: String(port), LAMBDA_PORT: String(lambdaPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
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

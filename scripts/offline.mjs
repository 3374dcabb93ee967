// Starts the API under serverless-offline and resolves once it answers GET /healthz.
// Shared by `npm start` and the end-to-end tests, so both run the API the same way.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

async function waitForHealth(baseUrl, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`serverless offline exited with code ${child.exitCode}`);
    try {
      const response = await fetch(`${baseUrl}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the local API did not answer ${baseUrl}/healthz within ${timeoutMs} ms`);
}

/**
 * Runs `serverless offline start` (through node, not npx, so that SIGTERM reaches it) with the
 * given environment, and returns its base URL and a stop function.
 */
export async function startOffline({
  port = 3000,
  lambdaPort = port + 2,
  stage = 'local',
  env = {},
  stdio = 'inherit',
  timeoutMs = 120_000,
} = {}) {
  const host = '127.0.0.1';
  const child = spawn(process.execPath, [join(projectRoot, 'node_modules/.bin/serverless'), 'offline', 'start', '--stage', stage], {
    cwd: projectRoot,
    env: {
      ...process.env,
      // The functions check local (unsigned) tokens against the same issuer and audience the deployed authorizer uses.
      IRSA_BROKER_LOCAL_JWT_ISSUER: process.env.IRSA_BROKER_JWT_ISSUER ?? 'https://auth.irsa-broker.local',
      IRSA_BROKER_LOCAL_JWT_AUDIENCE: process.env.IRSA_BROKER_JWT_AUDIENCE ?? 'irsa-broker',
      ...env,
      IRSA_BROKER_HOST: host,
      IRSA_BROKER_PORT: String(port),
      IRSA_BROKER_LAMBDA_PORT: String(lambdaPort),
    },
    stdio,
  });
  const baseUrl = `http://${host}:${port}`;
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
  try {
    await waitForHealth(baseUrl, child, timeoutMs);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, stop, child };
}

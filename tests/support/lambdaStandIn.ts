import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** What Lambda accepts in one asynchronous event (the stand-in refuses more, as Lambda does). */
export const LAMBDA_ASYNC_PAYLOAD_LIMIT_BYTES = 256 * 1024;

/** One event the stand-in received: the function, the exact bytes, and how its handler ended. */
export interface Invocation {
  functionName: string;
  payload: string;
  error?: string;
}

export interface LambdaStandIn {
  endpoint: string;
  invocations: Invocation[];
  /** Waits until every invocation (and every one those made) has finished. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function lambdaError(response: ServerResponse, status: number, type: string, message: string): void {
  response.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
  response.end(JSON.stringify({ Type: 'User', message }));
}

/**
 * Lambda's Invoke API on localhost, for tests: the real LambdaAsyncQueue sends its jobs here through
 * the real SDK (AWS_ENDPOINT_URL_LAMBDA), and the stand-in runs the real handler with exactly the
 * bytes it received, after answering 202 as Lambda does for `InvocationType: Event`. Handlers are
 * loaded with `load`, so they share the test's module registry and its cached dependencies.
 *
 * @param handlers function name → handler module under src/handlers
 */
export async function startLambdaStandIn(
  handlers: Record<string, string>,
  load: (modulePath: string) => { handler: (event: unknown, context: unknown) => Promise<unknown> },
  projectRoot: string,
): Promise<LambdaStandIn> {
  const invocations: Invocation[] = [];
  const running = new Set<Promise<void>>();
  const context = { functionName: 'stand-in', getRemainingTimeInMillis: () => 60_000, awsRequestId: 'stand-in' };

  const server = createServer((request, response) => {
    void (async () => {
      const match = INVOKE_PATH.exec(request.url ?? '');
      if (request.method !== 'POST' || !match) return lambdaError(response, 404, 'UnknownOperationException', 'not an Invoke call');
      const functionName = decodeURIComponent(match[1]!);
      const moduleName = handlers[functionName];
      if (!moduleName) return lambdaError(response, 404, 'ResourceNotFoundException', `Function not found: ${functionName}`);
      if (request.headers['x-amz-invocation-type'] !== 'Event')
        return lambdaError(response, 400, 'InvalidParameterValueException', 'the stand-in takes asynchronous (Event) invocations only');
      const body = await readBody(request);
      if (body.byteLength > LAMBDA_ASYNC_PAYLOAD_LIMIT_BYTES)
        return lambdaError(response, 413, 'RequestEntityTooLargeException', `${body.byteLength} bytes exceed the async payload limit`);
      const invocation: Invocation = { functionName, payload: body.toString('utf8') };
      invocations.push(invocation);
      response.writeHead(202).end();
      const run = Promise.resolve()
        .then(() => load(join(projectRoot, 'src/handlers', moduleName)).handler(JSON.parse(invocation.payload), context))
        .then(
          () => undefined,
          (error: unknown) => {
            invocation.error = error instanceof Error ? error.message : String(error);
          },
        )
        .finally(() => running.delete(run));
      running.add(run);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    invocations,
    async settle() {
      // Give requests already on the wire a moment to arrive, then drain until nothing runs.
      do {
        await new Promise((resolve) => setTimeout(resolve, 20));
        while (running.size > 0) await Promise.all([...running]);
        await new Promise((resolve) => setTimeout(resolve, 20));
      } while (running.size > 0);
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

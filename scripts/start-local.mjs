// `npm start`: the whole API on localhost with embedded defaults and no AWS account.
import { join } from 'node:path';
import { projectRoot, startOffline } from './offline.mjs';

const port = Number(process.env.PORT ?? 3000);
const lambdaPort = Number(process.env.LAMBDA_PORT ?? port + 2);
const { baseUrl, stop } = await startOffline({ port, lambdaPort });
const example = join(projectRoot, 'examples/plan-request.json');
console.log(`
irsa-broker is running at ${baseUrl}

  curl -s ${baseUrl}/plans -H 'content-type: application/json' --data @${example}
  curl -s ${baseUrl}/plans -H 'content-type: application/json' -H 'accept: application/yaml' --data @${example}
  curl -s ${baseUrl}/openapi.json

Press Ctrl-C to stop.
`);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stop().then(() => process.exit(0)));

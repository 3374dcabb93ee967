/** @needs kube-apiserver (npm test runs this file after the harness build) */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { ErrorResponse } from '../../src/api/errorResponse';
import type { GrantPlan } from '../../src/domain/grantPlan';
import { CHROMIUM_ARGS, ensureChromium } from '../harness/browser/chromium.mjs';
import { jsonObjects, localToken, printedCommands, startLocalApi, type EmulatorRole, type LocalApi } from '../support/localApi';
import { startMoto } from '../harness/moto/setup.mjs';

const root = join(__dirname, '../..');
// Every call goes through serverless-offline (a handler's first call loads it into a worker) on a
// 2-core machine that also runs moto and an API server: 5 s is too tight for a first request.
jest.setTimeout(30_000);
const example = readFileSync(join(root, 'examples/plan-request.json'), 'utf8');
let api: LocalApi;

const alice = () => ({ authorization: `Bearer ${localToken('alice', ['team-payments'])}` });
const postPlan = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(`${api.baseUrl}/plans`, { method: 'POST', headers: { ...alice(), ...headers }, body });

/** An unsigned token as local-token.mjs makes it, with the given claims instead. */
const tokenWith = (claims: Record<string, unknown>) =>
  [{ alg: 'none' }, claims].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.') + '.';
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;
const aliceClaims = () => ({
  iss: 'https://auth.irsa-broker.local',
  aud: 'irsa-broker',
  sub: 'alice',
  groups: ['team-payments'],
  exp: inAnHour(),
});

describe('the local API started by npm start', () => {
  beforeAll(async () => {
    api = await startLocalApi();
  }, 300_000);
  // Stopping takes a while: the API, moto, dynalite and the local API server, each in turn.
  afterAll(async () => api?.stop(), 60_000);

  it('prints its URL and a curl example', () => {
    expect(api.output()).toContain(`curl -s ${api.baseUrl}/plans`);
  });

  it('serves POST /plans with the whole plan as JSON', async () => {
    const response = await postPlan(example);
    expect(response.status).toBe(200);
    const plan = (await response.json()) as GrantPlan;
    expect(plan.role.name).toBe('irsa-dev.payments.invoice-exporter');
    expect(plan.role.trustPolicy.Statement[0]?.Condition?.StringEquals).toMatchObject({
      'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub': 'system:serviceaccount:payments:invoice-exporter',
    });
    expect(plan.serviceAccount.manifest).toMatchObject({ metadata: { annotations: { 'eks.amazonaws.com/role-arn': plan.role.arn } } });
  });

  it('returns only the manifest as YAML for Accept: application/yaml', async () => {
    const response = await postPlan(example, { 'content-type': 'application/json', accept: 'application/yaml' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/yaml');
    expect(await response.text()).toContain('kind: ServiceAccount');
  });

  it.each([
    ['text/plain', example, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['application/json', '{"cluster":', 400, 'MALFORMED_JSON'],
    ['application/json', '{"cluster":"dev"}', 422, 'REQUEST_INVALID'],
    ['application/json', example.replace('"dev"', '"nope"'), 404, 'CLUSTER_NOT_FOUND'],
  ])('answers %s %s with %i %s', async (contentType, body, status, code) => {
    const response = await postPlan(body, { 'content-type': contentType });
    expect(response.status).toBe(status);
    expect(((await response.json()) as ErrorResponse).error.code).toBe(code);
  });

  it('serves the OpenAPI document and the health check', async () => {
    const document = (await (await fetch(`${api.baseUrl}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(document.openapi).toBe('3.1.0');
    expect(document.paths['/plans']?.post).toBeDefined();
    expect((await fetch(`${api.baseUrl}/healthz`)).status).toBe(200);
  });

  it.each([
    ['GET /access-requests', '/access-requests', 'GET'],
    ['POST /plans', '/plans', 'POST'],
  ])('refuses %s without a token, in the documented error shape', async (_route, path, method) => {
    const response = await fetch(`${api.baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: method === 'POST' ? example : undefined,
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) } });
  });

  it.each([
    ['without exp', { exp: undefined }, 'TOKEN_EXPIRY_MISSING'],
    ['that has expired', { exp: 1 }, 'TOKEN_EXPIRED'],
    ['from another issuer', { iss: 'https://evil.example.com' }, 'TOKEN_ISSUER_INVALID'],
    [
      'whose groups claim is the flattened string "[team-payments payments-leads]"',
      { groups: '[team-payments payments-leads]' },
      'GROUPS_CLAIM_INVALID',
    ],
  ])('refuses a token %s with 401 %s in the documented error shape', async (_what, change, code) => {
    const token = tokenWith({ ...aliceClaims(), ...change });
    const response = await fetch(`${api.baseUrl}/access-requests`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(401);
    expect(((await response.json()) as ErrorResponse).error.code).toBe(code);
  });

  it('renders every operation of /openapi.json at /docs in headless Chromium, loading nothing from elsewhere', async () => {
    const document = (await (await fetch(`${api.baseUrl}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    const operationIds = Object.values(document.paths).flatMap((item) => Object.values(item).map((operation) => operation.operationId));
    // Playwright adds its own headless and sandbox flags.
    const args = CHROMIUM_ARGS.filter((flag) => flag !== '--headless' && flag !== '--no-sandbox');
    const browser = await chromium.launch({ executablePath: await ensureChromium(), args });
    try {
      const page = await browser.newPage();
      const requested: string[] = [];
      const consoleErrors: string[] = [];
      page.on('request', (request) => requested.push(request.url()));
      page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));

      await page.goto(`${api.baseUrl}/docs`);
      await page.waitForSelector('.opblock', { timeout: 60_000 });

      // Swagger UI gives each operation the id operations-<tag>-<operationId>; ours are untagged.
      const listed = await page.$$eval('.opblock', (blocks) => blocks.map((block) => block.id.replace(/^operations-default-/, '')));
      expect([...listed].sort()).toEqual([...operationIds].sort());
      expect(requested.filter((url) => !url.startsWith(`${api.baseUrl}/`))).toEqual([]);
      expect(consoleErrors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);

  // Last: it idles this file's connections longer than the server's keep-alive.
  it('runs the printed walk-throughs: the approved grants are provisioned in the emulator and applied to the API server', () => {
    if (!api.output().includes('Delivery by apply:'))
      throw new Error(
        'npm start started no local API server: the kube-apiserver harness (.harness/bin) is not built; run npm test or npm start -- --kube',
      );
    const script = [printedCommands(api.output(), 'Walk-through:'), printedCommands(api.output(), 'Delivery by apply:')].join('\n');

    const output = execFileSync('bash', ['-e', '-c', script], { cwd: root, encoding: 'utf8', timeout: 180_000 });

    const role = 'arn:aws:iam::111122223333:role/irsa-broker/irsa-dev.payments.invoice-exporter';
    const [exporter, applier] = jsonObjects(output, /^\{\n {2}"status"/m);
    expect(exporter).toMatchObject({ status: 'active', grant: { mode: 'provisioned', roleArn: role } });
    expect(applier).toMatchObject({ status: 'active', grant: { mode: 'provisioned' } });
    expect(output).toContain(`activated: role ${role} ready`);
    const [roles] = jsonObjects(output, /^\[\n {2}\{\n {4}"arn"/m) as [EmulatorRole[]];
    const listed = roles.find((entry) => entry.arn === role);
    expect(listed?.trustPolicy.Statement[0]).toMatchObject({
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: {
          'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub': 'system:serviceaccount:payments:invoice-exporter',
        },
      },
    });
    expect(listed?.attachedPolicies.map((policy) => policy.arn)).toContain('arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess');
    expect(JSON.stringify(listed?.attachedPolicies)).toContain('arn:aws:s3:::acme-invoices/exports/*');
    // The last command read the ServiceAccount back from the API server.
    const annotations = jsonObjects(output, /^\{\n {2}"eks\.amazonaws\.com\/role-arn"/m)[0];
    expect(annotations).toMatchObject({ 'eks.amazonaws.com/role-arn': applier?.grant?.roleArn });
  });
});

describe('npm start with AWS_ENDPOINT_URL', () => {
  let moto: Awaited<ReturnType<typeof startMoto>>;
  let external: LocalApi;
  beforeAll(async () => {
    // An emulator someone already runs, answering as the config's account.
    moto = await startMoto(root, { env: { MOTO_ACCOUNT_ID: '111122223333', MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' } });
    external = await startLocalApi({ AWS_ENDPOINT_URL: moto.endpoint });
  }, 300_000);
  afterAll(async () => Promise.all([external?.stop(), moto?.stop()]), 60_000);

  it('uses that emulator instead of starting one, and the printed walk-through provisions there', () => {
    expect(external.output()).toContain(`AWS (IAM, EKS, STS)  ${moto.endpoint}  from AWS_ENDPOINT_URL`);
    expect(external.output()).not.toContain('embedded moto');

    const output = execFileSync('bash', ['-e', '-c', printedCommands(external.output(), 'Walk-through:')], {
      cwd: root,
      encoding: 'utf8',
      timeout: 180_000,
    });

    const [request] = jsonObjects(output, /^\{\n {2}"status"/m);
    expect(request).toMatchObject({ status: 'active', grant: { mode: 'provisioned' } });
    const [roles] = jsonObjects(output, /^\[\n {2}\{\n {4}"arn"/m) as [EmulatorRole[]];
    expect(roles.map((role) => role.arn)).toContain(request.grant.roleArn);
  });
});

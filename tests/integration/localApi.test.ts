import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorResponse } from '../../src/api/errorResponse';
import type { GrantPlan } from '../../src/domain/grantPlan';
import { localToken, startLocalApi, type LocalApi } from '../support/localApi';

const example = readFileSync(join(__dirname, '../../examples/plan-request.json'), 'utf8');
let api: LocalApi;

beforeAll(async () => {
  api = await startLocalApi();
}, 180_000);
// Stopping serverless-offline and its function workers takes seconds on a loaded machine.
afterAll(async () => api?.stop(), 60_000);

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
  it('prints its URL and a curl example', () => {
    expect(api.output()).toContain(`curl -s ${api.baseUrl}/plans -H "authorization: Bearer $TOKEN"`);
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

  // Each route's first call starts its function in serverless-offline: about a second each on a busy machine.
  it('walks the README flow: submit as a requester, approve as an approver, read the request and its events, extend', async () => {
    const alice = { authorization: `Bearer ${localToken('alice', ['team-payments'])}` };
    const bob = { authorization: `Bearer ${localToken('bob', ['payments-leads'])}` };
    const submitted = await fetch(`${api.baseUrl}/access-requests`, {
      method: 'POST',
      headers: { ...alice, 'content-type': 'application/json' },
      body: example,
    });
    expect(submitted.status).toBe(201);
    const { id } = (await submitted.json()) as { id: string };
    const approved = await fetch(`${api.baseUrl}/access-requests/${id}/approve`, {
      method: 'POST',
      headers: { ...bob, 'content-type': 'application/json' },
      body: JSON.stringify({ comment: 'fine' }),
    });
    expect(approved.status).toBe(200);
    const request = (await (await fetch(`${api.baseUrl}/access-requests/${id}`, { headers: alice })).json()) as { status: string };
    expect(request.status).toBe('active');
    const { events } = (await (await fetch(`${api.baseUrl}/access-requests/${id}/events`, { headers: alice })).json()) as {
      events: { type: string }[];
    };
    expect(events.map((event) => event.type)).toEqual(['submitted', 'approved', 'provisioning-started', 'activated']);
    const manifest = await fetch(`${api.baseUrl}/access-requests/${id}/manifest`, { headers: alice });
    expect(await manifest.text()).toContain('kind: ServiceAccount');
    const extended = await fetch(`${api.baseUrl}/access-requests/${id}/extend`, {
      method: 'POST',
      headers: { ...alice, 'content-type': 'application/json' },
      body: JSON.stringify({ durationHours: 720, justification: 'another month of exports' }),
    });
    expect(extended.status).toBe(200);
    expect(await extended.json()).toMatchObject({ status: 'active', extension: { durationHours: 720 } });
  }, 60_000);

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
});

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

const postPlan = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(`${api.baseUrl}/plans`, { method: 'POST', headers, body });

describe('the local API started by npm start', () => {
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

  // Five routes, each the first call of its function: serverless-offline starts each cold (about a second apiece under load).
  it('walks the README flow: submit as a requester, approve as an approver, read the request and its events', async () => {
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
  }, 30_000);

  it('refuses access-request routes without a token', async () => {
    expect((await fetch(`${api.baseUrl}/access-requests`)).status).toBe(401);
  });
});

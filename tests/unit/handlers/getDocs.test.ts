import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { gunzipSync } from 'node:zlib';
import { handler } from '../../../src/handlers/getDocs';

const context = { functionName: 'getDocs', awsRequestId: 'test', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

/** GET /docs as API Gateway HTTP APIs (payload format 2.0) deliver it. */
const docsEvent = (headers: Record<string, string>) =>
  ({ version: '2.0', routeKey: 'GET /docs', rawPath: '/docs', rawQueryString: '', headers, requestContext: {} }) as APIGatewayProxyEventV2;

const get = async (headers: Record<string, string> = {}) =>
  (await handler(docsEvent(headers), context)) as APIGatewayProxyStructuredResultV2;

describe('getDocs', () => {
  it('serves a page that renders the relative openapi.json with Swagger UI inlined, loading nothing from elsewhere', async () => {
    const response = await get();

    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toBe('text/html; charset=utf-8');
    const page = response.body ?? '';
    expect(page).toContain('SwaggerUIBundle({"url":"openapi.json"');
    expect(page).toContain('"validatorUrl":null');
    // Nothing fetched from elsewhere: no script or stylesheet by URL (the icon is an empty data: URL).
    expect(page.match(/<(script|link)[^>]+(src|href)="(?!data:)[^"]*"/)?.[0]).toBeUndefined();
    expect(page.length).toBeGreaterThan(1_000_000);
  });

  it('sends the same page gzipped to clients that accept gzip', async () => {
    const plain = await get();

    const response = await get({ 'Accept-Encoding': 'br, gzip, deflate' });

    expect(response.headers).toMatchObject({ 'content-encoding': 'gzip', vary: 'accept-encoding' });
    expect(response.isBase64Encoded).toBe(true);
    expect(gunzipSync(Buffer.from(response.body ?? '', 'base64')).toString('utf8')).toBe(plain.body);
  });
});

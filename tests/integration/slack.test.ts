import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { join } from 'node:path';
import {
  approvalRequestMessage,
  decidedMessage,
  extensionApprovalMessage,
  extensionReply,
  grantTimeNotification,
  requesterNotification,
  submittedReply,
} from '../../src/domain/slackMessages';
import { call, paymentsRequest, projectRoot, settleJobs, startStore } from '../support/accessRequestApi';
import { NOT_IN_CHANNEL, slackSignedHeaders, startSlackStandIn } from '../support/slackStandIn';

const SECRET = 'slack-signing-secret-for-tests';
let store: Awaited<ReturnType<typeof startStore>>;
let slack: Awaited<ReturnType<typeof startSlackStandIn>>;

beforeAll(async () => {
  [store, slack] = await Promise.all([startStore(), startSlackStandIn({ U0CAROL: 'carol@example.com' })]);
  Object.assign(process.env, { SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.url });
});
afterAll(async () => Promise.all([store?.stop(), slack?.stop()]));
beforeEach(() => (slack.calls.length = 0));

type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
const handler = (name: string) => (require(join(projectRoot, 'src/handlers', name)) as { handler: Handler }).handler;

/** Posts a body to a Slack endpoint as Slack would (or with the given headers), then lets the queued work finish. */
async function post(name: 'slackCommands' | 'slackInteractions', body: string, headers = slackSignedHeaders(body, SECRET)) {
  const event = {
    headers,
    body,
    isBase64Encoded: false,
    requestContext: { http: { method: 'POST' } },
  } as unknown as APIGatewayProxyEventV2;
  const response = await handler(name)(event);
  await settleJobs();
  return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined, event };
}

const command = (text: string, user = 'U0ALICE', extra: Record<string, string> = {}) =>
  new URLSearchParams({ command: '/irsa', text, user_id: user, channel_id: 'C0REQUESTS', ...extra }).toString();
const click = (action: string, requestId: string, user: string, ts: string, extra: Record<string, unknown> = {}) =>
  new URLSearchParams({
    payload: JSON.stringify({
      type: 'block_actions',
      user: { id: user },
      channel: { id: 'C0PAYMENTS' },
      message: { ts },
      actions: [{ action_id: action, value: requestId }],
      ...extra,
    }),
  }).toString();
const idIn = (text: string | undefined) => text?.match(/`([0-9a-f-]{36})`/)?.[1];

async function record(id: string) {
  const { accessRequestDeps } = require(join(projectRoot, 'src/handlers/wiring/accessRequestDeps'));
  return accessRequestDeps().store.get(id);
}

describe('Slack: request → approve → notifications', () => {
  it('drives the whole flow with signed payloads and sends exactly these messages', async () => {
    const requested = await post(
      'slackCommands',
      command('request dev/payments/invoice-exporter s3:acme-invoices/exports:read-write for 24h -- nightly export'),
    );
    expect(requested).toMatchObject({ status: 200, body: { response_type: 'ephemeral', text: 'Submitting your access request…' } });
    const approvalRequest = slack.calls.find((call) => call.method === 'chat.postMessage');
    const reply = slack.calls.find((call) => call.method === 'chat.postEphemeral');
    const id = reply?.args.text.match(/`([0-9a-f-]{36})`/)?.[1];
    const submitted = await record(id);
    expect(submitted).toMatchObject({ status: 'pending', requester: { subject: 'alice', source: 'slack' }, durationHours: 24 });
    // Exactly these two messages, in either order (the notification travels through the worker).
    expect(slack.calls).toHaveLength(2);
    expect(slack.calls).toEqual(
      expect.arrayContaining([
        { method: 'chat.postMessage', args: expect.objectContaining({ channel: 'C0PAYMENTS', ...approvalRequestMessage(submitted) }) },
        {
          method: 'chat.postEphemeral',
          args: expect.objectContaining({ channel: 'C0REQUESTS', user: 'U0ALICE', ...submittedReply(submitted) }),
        },
      ]),
    );
    expect(approvalRequest?.args.blocks[2].elements.map((button: { action_id: string }) => button.action_id)).toEqual([
      'irsa_approve',
      'irsa_reject',
    ]);
    slack.calls.length = 0;

    const approved = await post('slackInteractions', click('irsa_approve', id, 'U0BOB', '1001.000100'));

    expect(approved.status).toBe(200);
    const active = await record(id);
    expect(active).toMatchObject({ status: 'active', approvals: [{ subject: 'bob' }] });
    // Exactly these two messages, in either order (the notification travels through the worker).
    expect(slack.calls).toHaveLength(2);
    expect(slack.calls).toEqual(
      expect.arrayContaining([
        { method: 'chat.postMessage', args: expect.objectContaining({ channel: 'U0ALICE', ...requesterNotification(active) }) },
        {
          method: 'chat.update',
          args: expect.objectContaining({ channel: 'C0PAYMENTS', ts: '1001.000100', ...decidedMessage(active, 'bob') }),
        },
      ]),
    );
    expect(slack.calls.find((call) => call.args.channel === 'U0ALICE')?.args.text).toContain('kind: ServiceAccount');
  });

  it('applies the REST rules: a requester cannot approve their own request from Slack', async () => {
    const { body } = await post('slackCommands', command('request dev/payments/self-approver s3:acme-invoices:read', 'U0CAROL'));
    expect(body.text).toBe('Submitting your access request…');
    const id = slack.calls.find((call) => call.method === 'chat.postEphemeral')?.args.text.match(/`([0-9a-f-]{36})`/)?.[1];
    slack.calls.length = 0;

    await post('slackInteractions', click('irsa_approve', id, 'U0CAROL', '1.0'));

    expect(slack.calls).toEqual([
      { method: 'users.info', args: expect.objectContaining({ user: 'U0CAROL' }) },
      {
        method: 'chat.postEphemeral',
        args: expect.objectContaining({
          channel: 'C0PAYMENTS',
          user: 'U0CAROL',
          text: 'SELF_APPROVAL: requesters may not decide on their own requests',
        }),
      },
    ]);
    expect((await record(id)).status).toBe('pending');
  });

  it('answers help at once and opens the request form', async () => {
    expect((await post('slackCommands', command('help'))).body.text).toContain('/irsa request');
    await post('slackCommands', command('request', 'U0ALICE', { trigger_id: 'trigger-1' }));
    expect(slack.calls).toEqual([
      {
        method: 'views.open',
        args: expect.objectContaining({ trigger_id: 'trigger-1', view: expect.objectContaining({ callback_id: 'irsa_request_form' }) }),
      },
    ]);
  });
});

/** A grant requested by alice in Slack and approved there by bob; the calls so far are forgotten. */
async function activeGrantFromSlack(serviceAccount: string, duration: string): Promise<string> {
  await post('slackCommands', command(`request dev/payments/${serviceAccount} s3:acme-invoices/exports:read for ${duration} -- export`));
  const id = slack.calls.find((call) => call.method === 'chat.postEphemeral')?.args.text.match(/`([0-9a-f-]{36})`/)?.[1];
  await post('slackInteractions', click('irsa_approve', id, 'U0BOB', '2001.000100'));
  expect((await record(id)).status).toBe('active');
  slack.calls.length = 0;
  return id;
}

const expireGrantsHandler = () => (require(join(projectRoot, 'src/handlers/expireGrants')) as { handler: () => Promise<unknown> }).handler;

describe('Slack: extensions and expiry warnings', () => {
  it('asks approvers about an extension with buttons, and a click there extends the grant and tells the requester', async () => {
    const id = await activeGrantFromSlack('extended-export', '24h');

    await post('slackCommands', command(`extend ${id} 48h -- the backfill needs two more days`));

    const asked = await record(id);
    expect(asked).toMatchObject({ status: 'active', extension: { durationHours: 48, requestedBy: { subject: 'alice', source: 'slack' } } });
    const facts = { durationHours: 48, justification: 'the backfill needs two more days', expiresAt: asked.expiresAt };
    // Exactly these two messages, in either order (the notification travels through the worker).
    expect(slack.calls).toHaveLength(2);
    expect(slack.calls).toEqual(
      expect.arrayContaining([
        {
          method: 'chat.postEphemeral',
          args: expect.objectContaining({ channel: 'C0REQUESTS', user: 'U0ALICE', ...extensionReply(asked) }),
        },
        { method: 'chat.postMessage', args: expect.objectContaining({ channel: 'C0PAYMENTS', ...extensionApprovalMessage(asked, facts) }) },
      ]),
    );
    const buttons = slack.calls.find((call) => call.method === 'chat.postMessage')?.args.blocks.at(-1).elements;
    expect(buttons.map((button: { action_id: string; value: string }) => [button.action_id, button.value])).toEqual([
      ['irsa_approve', id],
      ['irsa_reject', id],
    ]);
    slack.calls.length = 0;

    await post('slackInteractions', click('irsa_approve', id, 'U0CAROL', '3001.000100'));

    const extended = await record(id);
    expect(extended.extension).toBeUndefined();
    expect(Date.parse(extended.expiresAt)).toBeGreaterThan(Date.parse(asked.expiresAt));
    expect(slack.calls.filter((call) => call.method !== 'users.info')).toHaveLength(2);
    expect(slack.calls).toEqual(
      expect.arrayContaining([
        {
          method: 'chat.update',
          args: expect.objectContaining({ channel: 'C0PAYMENTS', ts: '3001.000100', ...decidedMessage(extended, 'carol@example.com') }),
        },
        {
          method: 'chat.postMessage',
          args: expect.objectContaining({
            channel: 'U0ALICE',
            ...grantTimeNotification(extended, { event: 'extended', expiresAt: extended.expiresAt }),
          }),
        },
      ]),
    );
  });

  it('warns the requester once before a grant expires: the next sweep sends nothing', async () => {
    const id = await activeGrantFromSlack('short-lived-export', '12h');

    await expireGrantsHandler()();
    await settleJobs();

    const warned = await record(id);
    const warnings = slack.calls.filter((call) => call.args.text?.includes(id));
    expect(warnings).toEqual([
      {
        method: 'chat.postMessage',
        args: expect.objectContaining({
          channel: 'U0ALICE',
          ...grantTimeNotification(warned, { event: 'expiry-warning', expiresAt: warned.expiresAt }),
        }),
      },
    ]);
    expect(warned.events.filter((event: { type: string }) => event.type === 'expiry-warning')).toHaveLength(1);
    slack.calls.length = 0;

    await expireGrantsHandler()();
    await settleJobs();

    expect(slack.calls).toEqual([]);
  });
});

describe("Slack, from the attacker's side", () => {
  it("escapes a requester's text so that <!channel> and disguised links reach approvers as plain text", async () => {
    const justification = '<!channel> urgent, see <https://evil.example/login|the runbook> & approve';
    await post('slackCommands', command(`request dev/payments/invoice-exporter s3:acme-invoices:read -- ${justification}`));
    const approvalRequest = slack.calls.find((call) => call.method === 'chat.postMessage' && call.args.channel === 'C0PAYMENTS');
    const shown = JSON.stringify(approvalRequest?.args.blocks);
    expect(shown).toContain('&lt;!channel&gt; urgent, see &lt;https://evil.example/login|the runbook&gt; &amp; approve');
    expect(shown).not.toContain('<!channel>');
    expect(shown).not.toContain('<https://evil');
  });

  it('acknowledges a Slack retry (X-Slack-Retry-Num) without doing the work again', async () => {
    const body = command('request dev/payments/retried s3:acme-invoices:read');
    const first = await post('slackCommands', body);
    expect(first.status).toBe(200);
    const calls = slack.calls.length;
    const retry = await post('slackCommands', body, {
      ...slackSignedHeaders(body, SECRET, new Date(Date.now() + 1000)),
      'x-slack-retry-num': '1',
      'x-slack-retry-reason': 'http_timeout',
    });
    expect(retry.status).toBe(200);
    expect(slack.calls).toHaveLength(calls);
  });

  it.each([
    ['a leading space', (seconds: string) => ` ${seconds}`],
    ['a plus sign', (seconds: string) => `+${seconds}`],
    ['a leading zero', (seconds: string) => `0${seconds}`],
    ['a decimal point', (seconds: string) => `${seconds}.0`],
  ])('refuses a timestamp with %s, even with a valid signature over it, with 401', async (_what, disguise) => {
    const body = command('list', 'U0BOB');
    const headers = slackSignedHeaders(body, SECRET);
    const timestamp = disguise(headers['x-slack-request-timestamp']!);
    const signature = `v0=${require('node:crypto').createHmac('sha256', SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;
    const response = await post('slackCommands', body, {
      ...headers,
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': signature,
    });
    expect(response.status).toBe(401);
    expect(slack.calls).toEqual([]);
  });

  it("answers through response_url when the bot is not in the user's channel", async () => {
    await post('slackCommands', command('list', 'U0BOB', { channel_id: NOT_IN_CHANNEL, response_url: slack.responseUrl }));
    expect(slack.calls.map((call) => call.method)).toEqual(['chat.postEphemeral', 'response_url']);
    expect(slack.calls[1]?.args).toMatchObject({ response_type: 'ephemeral', text: expect.any(String) });
  });

  it("never posts to a response_url that is not Slack's", async () => {
    await post(
      'slackCommands',
      command('list', 'U0BOB', { channel_id: NOT_IN_CHANNEL, response_url: 'http://169.254.169.254/latest/meta-data' }),
    );
    // The reply and then the failure notice both find the channel closed; neither goes anywhere else.
    expect(slack.calls.map((call) => call.method)).toEqual(['chat.postEphemeral', 'chat.postEphemeral']);
  });

  it.each([
    ['the requester, joined by the email in their token, approving from Slack: SELF_APPROVAL', 'carol@example.com', 'SELF_APPROVAL'],
    [
      'a would-be requester approving a request whose token (no email) joined nobody: REQUESTER_NOT_JOINED',
      undefined,
      'REQUESTER_NOT_JOINED',
    ],
  ])('refuses %s', async (_who, email, code) => {
    const carolByToken = { sub: 'okta|carol', ...(email ? { email } : {}), groups: ['team-payments'] };
    const body = paymentsRequest({ serviceAccount: `cross-door-${code.length}` });
    const { id } = (await call('submitAccessRequest', { caller: carolByToken, body })).body;
    await settleJobs();
    slack.calls.length = 0;
    await post('slackInteractions', click('irsa_approve', id, 'U0CAROL', '1.0'));
    expect(slack.calls.find((call) => call.method === 'chat.postEphemeral')?.args.text).toMatch(new RegExp(`^${code}:`));
    expect((await record(id)).status).toBe('pending');
  });

  it("replaces the approvers' message through response_url when the bot may no longer post in their channel", async () => {
    await post('slackCommands', command('request dev/payments/lost-channel s3:acme-invoices:read'));
    const id = idIn(slack.calls.find((call) => call.method === 'chat.postEphemeral')?.args.text);
    slack.calls.length = 0;
    const body = click('irsa_approve', id!, 'U0BOB', '1.0', { channel: { id: NOT_IN_CHANNEL }, response_url: slack.responseUrl });
    await post('slackInteractions', body);
    expect(slack.calls.find((call) => call.method === 'response_url')?.args).toMatchObject({ replace_original: true });
    expect((await record(id!)).status).toBe('active');
  });
});

describe('Slack request verification', () => {
  let id: string;
  beforeAll(async () => {
    await post('slackCommands', command('request dev/payments/verified s3:acme-invoices:read'));
    id = slack.calls.find((call) => call.method === 'chat.postEphemeral')?.args.text.match(/`([0-9a-f-]{36})`/)?.[1];
  });

  it.each([
    ['a forged signature', (body: string) => ({ ...slackSignedHeaders(body, SECRET), 'x-slack-signature': `v0=${'0'.repeat(64)}` })],
    ['a signature made with another secret', (body: string) => slackSignedHeaders(body, 'not-the-secret')],
    ['a stale timestamp', (body: string) => slackSignedHeaders(body, SECRET, new Date(Date.now() - 6 * 60_000))],
    ['a timestamp from the future', (body: string) => slackSignedHeaders(body, SECRET, new Date(Date.now() + 6 * 60_000))],
    ['no signature', () => ({ 'content-type': 'application/x-www-form-urlencoded' })],
  ])('answers %s with 401 and changes nothing', async (_, headersFor) => {
    const before = await record(id);
    const body = click('irsa_approve', id, 'U0BOB', '1.0');
    const response = await post('slackInteractions', body, headersFor(body) as Record<string, string>);
    expect(response.status).toBe(401);
    expect(slack.calls.filter((call) => call.method !== 'users.info')).toEqual([]);
    expect(await record(id)).toEqual(before);
  });

  it('answers a replayed request with 401 and changes nothing', async () => {
    const body = command('list', 'U0BOB');
    const headers = slackSignedHeaders(body, SECRET);
    expect((await post('slackCommands', body, headers)).status).toBe(200);
    const before = await record(id);
    const calls = slack.calls.length;
    const replay = await post('slackCommands', body, headers);
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('UNAUTHENTICATED');
    expect(slack.calls).toHaveLength(calls);
    expect(await record(id)).toEqual(before);
  });
});

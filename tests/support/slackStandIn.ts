import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';

/** A channel the bot is not in: every chat.* call there fails with not_in_channel. */
export const NOT_IN_CHANNEL = 'C0NOTIN';

/** One Web API call the stand-in received. */
export interface SlackCall {
  method: string;
  args: Record<string, any>;
}

/**
 * A local stand-in for Slack's Web API: the official client is pointed at it (SLACK_API_URL) and
 * every call is recorded, so tests can assert the exact messages sent.
 */
export async function startSlackStandIn(emails: Record<string, string>) {
  const calls: SlackCall[] = [];
  let ts = 1000;
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      // Interactions' response_url points here too (/response/…): recorded as method "response_url".
      const method = (request.url ?? '').startsWith('/response/') ? 'response_url' : (request.url ?? '').replace(/^\/api\//, '');
      const form = request.headers['content-type']?.includes('json')
        ? JSON.parse(body || '{}')
        : Object.fromEntries(new URLSearchParams(body));
      const args = Object.fromEntries(
        Object.entries(form).map(([key, value]) => [key, typeof value === 'string' && /^[[{]/.test(value) ? JSON.parse(value) : value]),
      );
      calls.push({ method, args });
      const answer = (payload: Record<string, unknown>) => {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ ok: true, ...payload }));
      };
      // The bot is not a member of NOT_IN_CHANNEL: Slack refuses to post there.
      if (method.startsWith('chat.') && args.channel === NOT_IN_CHANNEL) return answer({ ok: false, error: 'not_in_channel' });
      if (method === 'chat.postMessage') return answer({ channel: args.channel, ts: `${++ts}.000100` });
      if (method === 'users.info') return answer({ user: { id: args.user, profile: { email: emails[args.user] } } });
      if (method === 'users.lookupByEmail') {
        const id = Object.entries(emails).find(([, email]) => email === args.email)?.[0];
        return id ? answer({ user: { id } }) : answer({ ok: false, error: 'users_not_found' });
      }
      return answer({});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/api/`,
    /** A response_url as Slack would hand out, on the stand-in. */
    responseUrl: `http://127.0.0.1:${port}/response/T0/1/abc`,
    calls,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Headers Slack would send with a body, signed with the given secret at the given time. */
export function slackSignedHeaders(body: string, secret: string, at: Date = new Date()): Record<string, string> {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': timestamp, 'x-slack-signature': signature };
}

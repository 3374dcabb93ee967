import { WebClient } from '@slack/web-api';
import { DependencyUnavailableError } from '../../domain/errors';
import type { SlackMessage } from '../../domain/slackMessages';
import type { SlackGateway } from '../../ports';
import { clientBudget, type ClientBudget } from '../clientBudgets';

/** Slack's Web API through the official client (retries and rate-limit handling included). */
export class SlackWebApiGateway implements SlackGateway {
  private webClient: Promise<WebClient> | undefined;

  /** The token is read on first use, so building the gateway costs nothing when Slack stays silent. */
  constructor(
    private readonly token: () => Promise<string>,
    private readonly slackApiUrl?: string,
    private readonly budget: ClientBudget = clientBudget(),
  ) {}

  private get client(): Promise<WebClient> {
    // The function's budget: per-request timeout and attempts, so a Slack that hangs cannot outlast the function.
    this.webClient ??= this.token().then(
      (token) =>
        new WebClient(token, {
          ...(this.slackApiUrl ? { slackApiUrl: this.slackApiUrl } : {}),
          timeout: this.budget.requestTimeoutMs,
          retryConfig: { retries: this.budget.maxAttempts - 1 },
        }),
    );
    return this.webClient;
  }

  async postMessage(channel: string, message: SlackMessage): Promise<{ channel: string; ts: string }> {
    const result = await this.call('chat.postMessage', async () =>
      (await this.client).chat.postMessage({ channel, text: message.text, blocks: message.blocks as never }),
    );
    return { channel: result.channel ?? channel, ts: result.ts ?? '' };
  }

  async updateMessage(channel: string, ts: string, message: SlackMessage): Promise<void> {
    await this.call('chat.update', async () =>
      (await this.client).chat.update({ channel, ts, text: message.text, blocks: (message.blocks ?? []) as never }),
    );
  }

  async postEphemeral(channel: string, user: string, message: SlackMessage): Promise<void> {
    await this.call('chat.postEphemeral', async () =>
      (await this.client).chat.postEphemeral({ channel, user, text: message.text, blocks: message.blocks as never }),
    );
  }

  async openView(triggerId: string, view: Record<string, unknown>): Promise<void> {
    await this.call('views.open', async () => (await this.client).views.open({ trigger_id: triggerId, view: view as never }));
  }

  async userEmail(userId: string): Promise<string | undefined> {
    const result = await this.call('users.info', async () => (await this.client).users.info({ user: userId }));
    return result.user?.profile?.email;
  }

  async userIdByEmail(email: string): Promise<string | undefined> {
    try {
      return (await (await this.client).users.lookupByEmail({ email })).user?.id;
    } catch {
      // users_not_found and friends: nobody to tell.
      return undefined;
    }
  }

  async respond(responseUrl: string, message: SlackMessage & { replaceOriginal: boolean }): Promise<void> {
    // The URL came in a signed payload, but it is still a URL the broker will POST to: only Slack's.
    if (!this.isSlackResponseUrl(responseUrl)) {
      throw new DependencyUnavailableError('SLACK_RESPONSE_URL_REFUSED', 'the response_url is not a Slack URL');
    }
    await this.call('response_url', async () => {
      const response = await fetch(responseUrl, {
        signal: AbortSignal.timeout(this.budget.requestTimeoutMs),
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          text: message.text,
          ...(message.blocks ? { blocks: message.blocks } : {}),
          ...(message.replaceOriginal ? { replace_original: true } : { response_type: 'ephemeral', replace_original: false }),
        }),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
    });
  }

  private isSlackResponseUrl(url: string): boolean {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return false;
    }
    const standIn = this.slackApiUrl ? new URL(this.slackApiUrl).origin : undefined;
    return (parsed.protocol === 'https:' && parsed.hostname === 'hooks.slack.com') || parsed.origin === standIn;
  }

  private async call<Output>(method: string, send: () => Promise<Output>): Promise<Output> {
    try {
      return await send();
    } catch (error) {
      throw new DependencyUnavailableError('SLACK_API_FAILED', `Slack ${method} failed: ${(error as Error).message}`, { cause: error });
    }
  }
}

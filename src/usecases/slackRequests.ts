import * as z from 'zod';
import { MalformedRequestError } from '../domain/errors';
import { parseSlackCommand, SLACK_USAGE } from '../domain/slackCommand';
import { escapeMrkdwn, REQUEST_FORM_CALLBACK, requestFormToCommandText, requestFormView, SlackAction } from '../domain/slackMessages';
import type { JobQueue, SlackGateway } from '../ports';
import type { SlackJob } from '../domain/jobs';

/** The fields of a slash command the broker reads (Slack sends them form-encoded). */
export const SlashCommandSchema = z.object({
  command: z.string(),
  text: z.string().default(''),
  user_id: z.string(),
  channel_id: z.string(),
  trigger_id: z.string().optional(),
  response_url: z.string().optional(),
});

const InteractionSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('block_actions'),
    user: z.object({ id: z.string() }),
    channel: z.object({ id: z.string() }),
    message: z.object({ ts: z.string() }),
    response_url: z.string().optional(),
    actions: z.array(z.object({ action_id: z.string(), value: z.string().optional() })).min(1),
  }),
  z.object({
    type: z.literal('view_submission'),
    user: z.object({ id: z.string() }),
    view: z.object({
      callback_id: z.string(),
      state: z.object({ values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().nullish() }))) }),
    }),
  }),
]);

/** Slack's answer to a request: a body it shows (or an empty 200), within its three seconds. */
export type SlackAck = Record<string, unknown> | undefined;

export interface SlackIntakeDeps {
  slack: SlackGateway;
  jobs: JobQueue<SlackJob>;
  defaultCluster: string;
}

const ephemeral = (text: string) => ({ response_type: 'ephemeral', text });

/** `/irsa …`: help and the form answer at once; everything else is queued and answered later. */
export async function acceptSlashCommand(form: unknown, deps: SlackIntakeDeps): Promise<SlackAck> {
  const command = SlashCommandSchema.safeParse(form);
  if (!command.success) throw new MalformedRequestError('SLACK_PAYLOAD_INVALID', 'not a slash command payload');
  const { text, user_id: userId, channel_id: channelId, trigger_id: triggerId, response_url: responseUrl } = command.data;
  let parsed;
  try {
    parsed = parseSlackCommand(text);
  } catch (error) {
    return ephemeral(escapeMrkdwn((error as Error).message));
  }
  if (parsed.kind === 'help') return ephemeral(SLACK_USAGE);
  if (parsed.kind === 'open-request-form') {
    // trigger_id lives three seconds: the form must open now, not later.
    if (!triggerId) return ephemeral(SLACK_USAGE);
    await deps.slack.openView(triggerId, requestFormView(deps.defaultCluster));
    return undefined;
  }
  await deps.jobs.enqueue({ kind: 'command', text, userId, channelId, ...(responseUrl ? { responseUrl } : {}) });
  const acknowledgements: Partial<Record<typeof parsed.kind, string>> = {
    request: 'Submitting your access request…',
    extend: 'Asking for the extension…',
  };
  return ephemeral(acknowledgements[parsed.kind] ?? 'Looking that up…');
}

/** Buttons and the request form: acknowledged at once, the work queued. */
export async function acceptInteraction(payloadText: unknown, deps: SlackIntakeDeps): Promise<SlackAck> {
  let payload;
  try {
    payload = InteractionSchema.parse(JSON.parse(String(payloadText)));
  } catch (error) {
    throw new MalformedRequestError('SLACK_PAYLOAD_INVALID', 'not an interaction payload this app sends', { cause: error });
  }
  if (payload.type === 'view_submission') {
    if (payload.view.callback_id !== REQUEST_FORM_CALLBACK) return undefined;
    const text = `request ${requestFormToCommandText(payload.view.state.values)}`;
    // A form has no channel: the answer goes to the user's direct messages.
    await deps.jobs.enqueue({ kind: 'command', text, userId: payload.user.id, channelId: payload.user.id });
    return { response_action: 'clear' };
  }
  const [action] = payload.actions;
  if (!action || (action.action_id !== SlackAction.Approve && action.action_id !== SlackAction.Reject) || !action.value) return undefined;
  await deps.jobs.enqueue({
    kind: 'decision',
    action: action.action_id,
    requestId: action.value,
    userId: payload.user.id,
    channelId: payload.channel.id,
    messageTs: payload.message.ts,
    ...(payload.response_url ? { responseUrl: payload.response_url } : {}),
  });
  return undefined;
}

import { SlackNotifier } from './slackNotifier';
import { BrokerError } from '../domain/errors';
import type { SlackJob } from '../domain/jobs';
import { parseSlackCommand, SLACK_USAGE } from '../domain/slackCommand';
import type { AccessRequestRecord } from '../domain/requestLifecycle';
import {
  decidedMessage,
  escapeMrkdwn,
  extensionReply,
  planSummary,
  SlackAction,
  statusLine,
  submittedReply,
  workloadLines,
  type SlackMessage,
} from '../domain/slackMessages';
import { workloadKeyOf, type WorkloadRecord } from '../domain/workload';
import { approveAccessRequest, rejectAccessRequest } from './decideAccessRequest';
import { extendAccessRequest } from './extendAccessRequest';
import { getAccessRequest } from './getAccessRequest';
import { identifySlackUser } from './slackIdentity';
import type { SlackDeps } from './slackDeps';
import { submitAccessRequest } from './submitAccessRequest';

// Error messages may quote what the user typed.
const failureMessage = (error: unknown): SlackMessage => ({
  text: error instanceof BrokerError ? `${error.code}: ${escapeMrkdwn(error.message)}` : 'Something went wrong; the broker logs say what.',
});

/** The request's workload, when it has grants. */
function workloadOf(record: AccessRequestRecord, deps: SlackDeps): Promise<WorkloadRecord | undefined> {
  const { cluster, namespace, serviceAccount } = record.request;
  return deps.workloads.get(workloadKeyOf(cluster, namespace, serviceAccount));
}

type UserJob = Exclude<SlackJob, { kind: 'notify' }>;

/**
 * Answers the user privately where they acted; a bot that may not post there (not in the channel,
 * a DM it cannot open) answers through the interaction's response_url instead, which needs no
 * membership.
 */
async function reply(job: UserJob, message: SlackMessage, deps: SlackDeps): Promise<void> {
  try {
    await deps.slack.postEphemeral(job.channelId, job.userId, message);
  } catch (error) {
    if (!job.responseUrl) throw error;
    await deps.slack.respond(job.responseUrl, { ...message, replaceOriginal: false });
  }
}

async function runCommand(job: Extract<SlackJob, { kind: 'command' }>, deps: SlackDeps): Promise<SlackMessage> {
  const caller = await identifySlackUser(job.userId, deps.config, deps.slack);
  const command = parseSlackCommand(job.text);
  switch (command.kind) {
    case 'request': {
      const record = await submitAccessRequest(command.body, caller, deps);
      return submittedReply(record, await workloadOf(record, deps));
    }
    case 'extend':
      return extensionReply(await extendAccessRequest(command.id, command.body, caller, deps));
    case 'status': {
      const { record } = await getAccessRequest(command.id, caller, deps);
      const workload = await workloadOf(record, deps);
      return { text: `${statusLine(record)}\n${planSummary(record)}${workload ? `\n${workloadLines(workload)}` : ''}` };
    }
    case 'list': {
      const page = await deps.store.list({ requester: caller.subject }, { limit: 10 });
      return { text: page.items.length ? page.items.map(statusLine).join('\n') : 'You have no access requests.' };
    }
    default:
      return { text: SLACK_USAGE };
  }
}

async function runDecision(job: Extract<SlackJob, { kind: 'decision' }>, deps: SlackDeps): Promise<void> {
  const caller = await identifySlackUser(job.userId, deps.config, deps.slack);
  const record =
    job.action === SlackAction.Approve
      ? await approveAccessRequest(job.requestId, caller, 'approved in Slack', deps)
      : await rejectAccessRequest(job.requestId, caller, `rejected in Slack by ${caller.email ?? caller.subject}`, deps);
  // The approvers' message shows the outcome in place of the buttons.
  const decided = decidedMessage(record, caller.email ?? caller.subject);
  try {
    await deps.slack.updateMessage(job.channelId, job.messageTs, decided);
  } catch (error) {
    if (!job.responseUrl) throw error;
    await deps.slack.respond(job.responseUrl, { ...decided, replaceOriginal: true });
  }
}

/**
 * Runs one job: the same use cases and rules as the REST API, with the Slack user mapped to an
 * identity. Whatever goes wrong is told to that user alone (ephemeral), with its stable code.
 */
export async function runSlackJob(job: SlackJob, deps: SlackDeps): Promise<void> {
  if (job.kind === 'notify') {
    // The job names the request; what it says now is read here, not carried in the event.
    const record = await deps.store.get(job.requestId);
    if (record) await new SlackNotifier(deps.slack, deps.config).tell(record, job);
    return;
  }
  try {
    if (job.kind === 'command') await reply(job, await runCommand(job, deps), deps);
    else await runDecision(job, deps);
  } catch (error) {
    await reply(job, failureMessage(error), deps);
  }
}

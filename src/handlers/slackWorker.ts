import { SlackJobSchema } from '../domain/jobs';
import { runSlackJob } from '../usecases/slackJobs';
import { slackDeps } from './wiring/slackDeps';

/** Invoked asynchronously with a job the Slack endpoints or the request store queued (its schema: SlackJobSchema). */
export const handler = async (event: unknown): Promise<void> => {
  await runSlackJob(SlackJobSchema.parse(event), slackDeps());
};

import { runSlackJob, SlackJobSchema } from '../usecases/slackJobs';
import { slackDeps } from './wiring/slackDeps';

/** Invoked asynchronously with a job the Slack endpoints queued. */
export const handler = async (event: unknown): Promise<void> => {
  await runSlackJob(SlackJobSchema.parse(event), slackDeps());
};

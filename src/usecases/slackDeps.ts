import type { SlackGateway } from '../ports';
import type { AccessRequestDeps } from './accessRequestDeps';

/** What the Slack use cases need beyond the access-request ones. */
export interface SlackDeps extends AccessRequestDeps {
  slack: SlackGateway;
}

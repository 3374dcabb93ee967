import { slackUserOf } from '../../../src/usecases/slackNotifier';
import type { SlackGateway } from '../../../src/ports';
import { makeTestConfig } from '../../support/brokerConfig';

const noSlackLookups = {
  userIdByEmail: async () => {
    throw new Error('no lookup expected');
  },
} as unknown as SlackGateway;

describe('slackUserOf', () => {
  it('finds the Slack user the people map joins to the requester, even when their token had no email', async () => {
    // Arrange
    const config = makeTestConfig({ identity: { people: { alice: { subjects: ['00u1alice'], slackUsers: ['U0ALICE'] } } } });

    // Act
    const user = await slackUserOf({ subject: '00u1alice', groups: [], source: 'jwt', person: 'alice' }, config, noSlackLookups);

    // Assert
    expect(user).toBe('U0ALICE');
  });

  it('never takes an inherited property for a person in the map', async () => {
    // Arrange
    const config = makeTestConfig();

    // Act
    const user = await slackUserOf({ subject: 'x', groups: [], source: 'jwt', person: 'constructor' }, config, noSlackLookups);

    // Assert
    expect(user).toBeUndefined();
  });
});

import { SlackWebApiGateway } from '../../../src/adapters/slack/slackWebApiGateway';

describe('SlackWebApiGateway.respond', () => {
  const message = { text: 'hello', replaceOriginal: false };
  let fetchSpy: jest.SpyInstance;
  beforeEach(() => {
    fetchSpy = jest.spyOn(globalThis, 'fetch').mockResolvedValue(new Response('ok'));
  });
  afterEach(() => fetchSpy.mockRestore());

  it.each([
    ['the instance metadata service', 'http://169.254.169.254/latest/meta-data'],
    ['Slack over plain http', 'http://hooks.slack.com/commands/T0/1/abc'],
    ['a look-alike host', 'https://hooks.slack.com.evil.example/commands/T0/1/abc'],
    ['not a URL at all', 'hooks.slack.com'],
  ])('refuses to POST to %s with SLACK_RESPONSE_URL_REFUSED', async (_what, url) => {
    // Arrange
    const gateway = new SlackWebApiGateway(async () => 'xoxb-test');

    // Act
    const outcome = gateway.respond(url, message);

    // Assert
    await expect(outcome).rejects.toMatchObject({ code: 'SLACK_RESPONSE_URL_REFUSED' });
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it("posts an ephemeral answer to Slack's own response_url", async () => {
    // Arrange
    const gateway = new SlackWebApiGateway(async () => 'xoxb-test');

    // Act
    await gateway.respond('https://hooks.slack.com/commands/T0/1/abc', message);

    // Assert
    expect(fetchSpy).toHaveBeenCalledWith(
      'https://hooks.slack.com/commands/T0/1/abc',
      expect.objectContaining({
        method: 'POST',
        body: JSON.stringify({ text: 'hello', response_type: 'ephemeral', replace_original: false }),
      }),
    );
  });
});

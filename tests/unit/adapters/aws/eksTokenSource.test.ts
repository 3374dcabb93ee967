import { EksTokenSource } from '../../../../src/adapters/aws/eksTokenSource';

const target = { clusterName: 'prod', region: 'eu-west-1', partition: 'aws' as const };
const credentialOf = (token: string) =>
  new URLSearchParams(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString().split('?')[1]).get('X-Amz-Credential');

describe('EksTokenSource', () => {
  const now = () => new Date('2030-01-01T09:00:00Z');
  const hub = async () => ({ accessKeyId: 'AKIAHUB', secretAccessKey: 'hub' });
  const spoke = async () => ({ accessKeyId: 'ASIASPOKE', secretAccessKey: 'spoke', sessionToken: 'token' });

  it("signs with the target's credentials when given, else with its own", async () => {
    // Arrange
    const tokens = new EksTokenSource(hub, now);

    // Act
    const own = await tokens.getToken(target);
    const spokes = await tokens.getToken({ ...target, credentials: spoke });

    // Assert
    expect(credentialOf(own.token)).toBe('AKIAHUB/20300101/eu-west-1/sts/aws4_request');
    expect(credentialOf(spokes.token)).toBe('ASIASPOKE/20300101/eu-west-1/sts/aws4_request');
  });

  it('caches tokens per credentials, so one session never gets another’s token', async () => {
    // Arrange
    const tokens = new EksTokenSource(hub, now);
    const other = async () => ({ accessKeyId: 'ASIAOTHER', secretAccessKey: 'other', sessionToken: 'token' });

    // Act
    const first = await tokens.getToken({ ...target, credentials: spoke });
    const again = await tokens.getToken({ ...target, credentials: spoke });
    const third = await tokens.getToken({ ...target, credentials: other });

    // Assert
    expect(again).toBe(first);
    expect(credentialOf(third.token)).toBe('ASIAOTHER/20300101/eu-west-1/sts/aws4_request');
  });
});

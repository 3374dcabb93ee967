import { StsS3AccessProber } from '../../../../src/adapters/aws/stsS3AccessProber';
import { DependencyUnavailableError } from '../../../../src/domain/errors';

const metadata = (httpStatusCode: number) => ({ httpStatusCode, attempts: 1, totalRetryDelay: 0 });
const proberAnswering = (error: unknown) =>
  new StsS3AccessProber({ sts: () => ({ send: () => Promise.reject(error) }) as never, s3: () => ({}) as never });

describe('StsS3AccessProber', () => {
  it('records a refusal as the answer verification looks for', async () => {
    const denied = Object.assign(new Error('Not authorized to perform sts:AssumeRoleWithWebIdentity'), {
      name: 'AccessDenied',
      $fault: 'client',
      $metadata: metadata(403),
    });
    const { answer } = await proberAnswering(denied).assumeRole('arn:aws:iam::111122223333:role/r', 'token', 'verify', 'eu-west-1');
    expect(answer).toEqual({ allowed: false, code: 'AccessDenied', message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity' });
  });

  it('throws no answer at all (a timeout) as retryable instead of recording it as a failed check', async () => {
    const timeout = Object.assign(new Error('request timed out'), { name: 'TimeoutError', code: 'ETIMEDOUT' });
    const outcome = proberAnswering(timeout).assumeRole('arn:aws:iam::111122223333:role/r', 'token', 'verify', 'eu-west-1');
    await expect(outcome).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(outcome).rejects.toMatchObject({ code: 'STS_UNAVAILABLE', details: { awsError: 'TimeoutError' } });
  });
});

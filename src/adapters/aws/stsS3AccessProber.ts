import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { VerificationStep, type S3Probe } from '../../domain/verification';
import type { AccessProber, ProbeAnswer, ProbeSession } from '../../ports';
import { clientOptions } from '../clientBudgets';
import { classifyAwsError, FailureClass, translateAwsError } from '../dependencyFailures';

/** Temporary credentials of the assumed role. */
interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

interface SdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * AWS's answer as a probe answer: a refusal (AccessDenied, InvalidIdentityToken, …) is what
 * verification looks for. No answer at all (throttled, timed out, a 5xx) proves nothing either way, so
 * it is thrown as retryable (503 + Retry-After) instead of being recorded as a failed check.
 */
const refused = (error: unknown, service: 'STS' | 'S3'): ProbeAnswer => {
  if (classifyAwsError(error).class === FailureClass.Retryable) {
    throw translateAwsError(error, {
      code: `${service}_UNAVAILABLE`,
      message: `${service} did not answer the verification probe; verify again later`,
      refused: 'broker',
    });
  }
  const sdk = error as SdkError;
  return { allowed: false, code: sdk?.name ?? 'Error', message: sdk?.message ?? String(error) };
};

/** Makes the clients; tests point them at an emulator. */
export interface ProberClients {
  sts: (region: string) => STSClient;
  s3: (region: string, credentials: SessionCredentials) => S3Client;
}

const defaultClients: ProberClients = {
  sts: (region) => new STSClient({ region, ...clientOptions() }),
  s3: (region, credentials) => new S3Client({ region, credentials, ...clientOptions() }),
};

class S3ProbeSession implements ProbeSession {
  private readonly clients = new Map<string, S3Client>();

  constructor(
    private readonly credentials: SessionCredentials,
    private readonly make: ProberClients['s3'],
  ) {}

  async run(probe: S3Probe, region: string): Promise<ProbeAnswer> {
    let client = this.clients.get(region);
    if (!client) {
      client = this.make(region, this.credentials);
      this.clients.set(region, client);
    }
    try {
      if (probe.step === VerificationStep.List) {
        await client.send(new ListObjectsV2Command({ Bucket: probe.bucket, Prefix: probe.key, MaxKeys: 1 }));
      } else if (probe.step === VerificationStep.Get) {
        await client.send(new GetObjectCommand({ Bucket: probe.bucket, Key: probe.key }));
      } else if (probe.step === VerificationStep.Put) {
        await client.send(new PutObjectCommand({ Bucket: probe.bucket, Key: probe.key, Body: 'irsa-broker verification probe' }));
      } else {
        await client.send(new DeleteObjectCommand({ Bucket: probe.bucket, Key: probe.key }));
      }
      return { allowed: true };
    } catch (error) {
      // S3 says NoSuchKey only to a caller allowed to read: without s3:GetObject it is 403 AccessDenied.
      if (probe.step === VerificationStep.Get && (error as SdkError).name === 'NoSuchKey') return { allowed: true };
      return refused(error, 'S3');
    }
  }
}

/**
 * The pod's path through the AWS SDK: AssumeRoleWithWebIdentity (unsigned, as the pod's SDK does it)
 * with the ServiceAccount token, then S3 with the session's credentials. AWS errors come back as
 * answers with their codes, never as exceptions: a refusal is what verification is looking for.
 */
export class StsS3AccessProber implements AccessProber {
  constructor(private readonly clients: ProberClients = defaultClients) {}

  async assumeRole(roleArn: string, webIdentityToken: string, sessionName: string, region: string) {
    try {
      const { Credentials: credentials } = await this.clients
        .sts(region)
        .send(new AssumeRoleWithWebIdentityCommand({ RoleArn: roleArn, WebIdentityToken: webIdentityToken, RoleSessionName: sessionName }));
      if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) {
        return { answer: { allowed: false as const, code: 'NoCredentials', message: 'STS returned no credentials' } };
      }
      const session = new S3ProbeSession(
        { accessKeyId: credentials.AccessKeyId, secretAccessKey: credentials.SecretAccessKey, sessionToken: credentials.SessionToken },
        this.clients.s3,
      );
      return { session, answer: { allowed: true as const } };
    } catch (error) {
      return { answer: refused(error, 'STS') };
    }
  }
}

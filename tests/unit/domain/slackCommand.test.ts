import { AccessRequestSchema } from '../../../src/domain/accessRequest';
import { ValidationError } from '../../../src/domain/errors';
import { parseSlackCommand, SLACK_USAGE } from '../../../src/domain/slackCommand';

/** The body of a compact `/irsa request …`, or a test failure when the text means something else. */
function requestBody(text: string): Record<string, unknown> {
  const command = parseSlackCommand(text);
  if (command.kind !== 'request') throw new Error(`expected a request, got ${command.kind}`);
  return command.body;
}

/** The error parsing throws, or a test failure when it throws none. */
function errorOf(text: string): ValidationError {
  try {
    parseSlackCommand(text);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error(`expected "${text}" to be refused`);
}

describe('parseSlackCommand', () => {
  it.each(['', '   ', 'help', 'HELP', '  help  '])('reads %j as help', (text) => {
    // Arrange / Act
    const command = parseSlackCommand(text);

    // Assert
    expect(command).toEqual({ kind: 'help' });
  });

  it.each(['list', 'List'])('reads %j as list', (text) => {
    // Arrange / Act
    const command = parseSlackCommand(text);

    // Assert
    expect(command).toEqual({ kind: 'list' });
  });

  it('reads status with the request id', () => {
    // Arrange / Act
    const command = parseSlackCommand('status 0b6f7c1e-2f4a-4c1e-9a57-3d2b1c0e9f88');

    // Assert
    expect(command).toEqual({ kind: 'status', id: '0b6f7c1e-2f4a-4c1e-9a57-3d2b1c0e9f88' });
  });

  it.each(['request', ' request ', 'Request'])('reads %j alone as a wish to open the request form', (text) => {
    // Arrange / Act
    const command = parseSlackCommand(text);

    // Assert
    expect(command).toEqual({ kind: 'open-request-form' });
  });

  it('reads a compact request with an S3 grant narrowed to a prefix', () => {
    // Arrange / Act
    const body = requestBody('request dev/payments/invoice-exporter s3:acme-invoices/exports/2024:read-write');

    // Assert
    expect(body).toEqual({
      cluster: 'dev',
      namespace: 'payments',
      serviceAccount: 'invoice-exporter',
      grants: [{ type: 's3', bucket: 'acme-invoices', prefix: 'exports/2024', level: 'read-write' }],
    });
  });

  it.each(['s3:acme-invoices:read', 's3:acme-invoices/:read'])('reads %s as the whole bucket, without a prefix', (grant) => {
    // Arrange / Act
    const body = requestBody(`request dev/payments/invoice-exporter ${grant}`);

    // Assert
    expect(body.grants).toEqual([{ type: 's3', bucket: 'acme-invoices', level: 'read' }]);
  });

  it('reads policy: grants as managed-policy ARNs, mixed with S3 grants in order', () => {
    // Arrange / Act
    const body = requestBody(
      'request dev/payments/invoice-exporter s3:acme-invoices:list policy:arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess',
    );

    // Assert
    expect(body.grants).toEqual([
      { type: 's3', bucket: 'acme-invoices', level: 'list' },
      { type: 'managed-policy', arn: 'arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess' },
    ]);
  });

  it.each([
    ['for 12h', 12],
    ['for 7d', 168],
    ['for 1d', 24],
  ])('reads "%s" as %i hours', (duration, hours) => {
    // Arrange / Act
    const body = requestBody(`request dev/payments/invoice-exporter s3:acme-invoices:read ${duration}`);

    // Assert
    expect(body.durationHours).toBe(hours);
  });

  it('accepts the duration before the grants too', () => {
    // Arrange / Act
    const body = requestBody('request dev/payments/invoice-exporter for 12h s3:acme-invoices:read');

    // Assert
    expect(body).toMatchObject({ durationHours: 12, grants: [{ bucket: 'acme-invoices' }] });
  });

  it('reads everything after " -- " as the justification, trimmed', () => {
    // Arrange / Act
    const body = requestBody('request dev/payments/invoice-exporter s3:acme-invoices:read for 7d --   monthly invoice export job  ');

    // Assert
    expect(body).toMatchObject({ durationHours: 168, justification: 'monthly invoice export job' });
  });

  it('leaves out duration and justification when none are given', () => {
    // Arrange / Act
    const body = requestBody('request dev/payments/invoice-exporter s3:acme-invoices:read');

    // Assert
    expect(body).not.toHaveProperty('durationHours');
    expect(body).not.toHaveProperty('justification');
  });

  it('builds a body the access-request schema accepts', () => {
    // Arrange
    const body = requestBody('request dev/payments/invoice-exporter s3:acme-invoices/exports:read-write for 12h -- export job');

    // Act
    const parsed = AccessRequestSchema.safeParse(body);

    // Assert
    expect(parsed.success).toBe(true);
  });

  it.each([
    ['an unknown verb', 'grant dev/payments/sa s3:b:read', 'unknown command "grant"'],
    ['status without an id', 'status', 'takes one request id'],
    ['status with two ids', 'status a b', 'takes one request id'],
    [
      'a workload that is not cluster/namespace/serviceAccount',
      'request dev/payments s3:acme:read',
      '<cluster>/<namespace>/<serviceAccount>',
    ],
    ['a workload with too many parts', 'request dev/payments/sa/extra s3:acme:read', '<cluster>/<namespace>/<serviceAccount>'],
    ['no grant', 'request dev/payments/invoice-exporter for 12h', 'at least one grant'],
    ['a grant without a level', 'request dev/payments/invoice-exporter s3:acme-invoices', 'cannot read grant "s3:acme-invoices"'],
    ['a grant of an unknown type', 'request dev/payments/invoice-exporter sqs:queue:read', 'cannot read grant "sqs:queue:read"'],
    ['a duration without a unit', 'request dev/payments/invoice-exporter s3:acme:read for 12', 'cannot read duration "12"'],
    ['a duration in weeks', 'request dev/payments/invoice-exporter s3:acme:read for 2w', 'cannot read duration "2w"'],
    ['"for" with nothing after it', 'request dev/payments/invoice-exporter s3:acme:read for', 'cannot read duration ""'],
  ])('refuses %s with SLACK_COMMAND_INVALID, saying why and showing the usage', (_what, text, why) => {
    // Arrange / Act
    const error = errorOf(text);

    // Assert
    expect(error.code).toBe('SLACK_COMMAND_INVALID');
    expect(error.message).toContain(why);
    expect(error.message.endsWith(SLACK_USAGE)).toBe(true);
  });
  it('passes a zero duration on, so the schema refuses it instead of granting the maximum', () => {
    const command = parseSlackCommand('request dev/payments/sa s3:acme-bucket:read for 0h');
    expect(command).toMatchObject({ kind: 'request', body: { durationHours: 0 } });
  });

  it('keeps a justification that itself contains " -- "', () => {
    const command = parseSlackCommand('request dev/payments/sa s3:acme-bucket:read -- migrate a -- b tables');
    expect(command).toMatchObject({ kind: 'request', body: { justification: 'migrate a -- b tables' } });
  });
});

describe('parseSlackCommand: extend', () => {
  const id = '0b6f7c1e-2f4a-4c1e-9a57-3d2b1c0e9f88';

  it('reads the id, the duration and the justification into an extension body', () => {
    // Arrange / Act
    const command = parseSlackCommand(`extend ${id} 7d -- the export runs -- one more week`);

    // Assert
    expect(command).toEqual({ kind: 'extend', id, body: { durationHours: 168, justification: 'the export runs -- one more week' } });
  });

  it.each([
    ['no justification', `extend ${id} 48h`],
    ['no duration', `extend ${id} -- why`],
    ['nothing at all', 'extend'],
  ])('refuses an extend with %s, showing the usage', (_, text) => {
    // Arrange / Act
    const error = errorOf(text);

    // Assert
    expect(error.code).toBe('SLACK_COMMAND_INVALID');
    expect(error.message).toContain('`/irsa extend` takes a request id, a duration and `-- justification`');
  });

  it('lists extend in the usage text', () => {
    // Arrange / Act / Assert
    expect(SLACK_USAGE).toContain('/irsa extend <request id>');
  });
});

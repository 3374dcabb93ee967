import { encodeJob, MAX_JOB_PAYLOAD_BYTES, notifyJobOf, ProvisionJobSchema, SlackJobSchema, type SlackJob } from '../../../src/domain/jobs';
import { activatePlanOnly } from '../../../src/domain/decisions';
import { requestExtension } from '../../../src/domain/extensions';
import { alice, makeAccessRequestRecord, makeRule } from '../../support/accessRequestRecord';

const id = '6f1c2a4e-1b2c-4d5e-8f90-123456789abc';
const decode = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes));

describe('encodeJob', () => {
  it('sends what the consumer parses: the encoded bytes parse back to the same job', () => {
    const bytes = encodeJob(ProvisionJobSchema, { requestId: id });
    expect(ProvisionJobSchema.parse(decode(bytes))).toEqual({ requestId: id });
  });

  it('refuses a job its schema refuses, such as the bare id the provisioning function once received', () => {
    expect(() => encodeJob(ProvisionJobSchema, id as never)).toThrow();
    expect(() => ProvisionJobSchema.parse(id)).toThrow();
  });

  it('keeps the largest job every schema allows under the hand-off limit', () => {
    const longest: SlackJob[] = [
      { kind: 'command', text: '\u{1F600}'.repeat(8000 / 2), userId: 'U'.repeat(64), channelId: 'C'.repeat(64) },
      {
        kind: 'decision',
        action: 'irsa_approve',
        requestId: 'r'.repeat(64),
        userId: 'U'.repeat(64),
        channelId: 'C'.repeat(64),
        messageTs: '1'.repeat(64),
      },
      { kind: 'notify', requestId: id, isNew: true, status: 'pending', statusChanged: true, note: '\u00e9'.repeat(2000) },
    ];
    for (const job of longest) expect(encodeJob(SlackJobSchema, job).byteLength).toBeLessThan(MAX_JOB_PAYLOAD_BYTES);
  });

  it('refuses a payload over the limit before anything is sent', () => {
    const { z } = require('zod');
    const Loose = z.object({ text: z.string() });
    expect(() => encodeJob(Loose, { text: 'x'.repeat(MAX_JOB_PAYLOAD_BYTES) })).toThrow(/exceeds the 16384-byte limit/);
  });
});

describe('notifyJobOf', () => {
  it('carries the id and the facts of the change, never the record', () => {
    const record = makeAccessRequestRecord();
    const job = notifyJobOf(record, true);
    expect(job).toEqual({ kind: 'notify', requestId: record.id, isNew: true, status: record.status, statusChanged: false });
    expect(SlackJobSchema.parse(job)).toEqual(job);
  });
});

describe('notifyJobOf for changes that keep the status', () => {
  it('names an extension request with the hours asked and the current expiry, and nothing of the record beyond', () => {
    // Arrange
    const rule = makeRule();
    const active = activatePlanOnly(
      { ...makeAccessRequestRecord({ rule, durationHours: 24 }), status: 'approved' },
      new Date('2030-01-01T10:00:00.000Z'),
    );
    const asked = requestExtension(
      active,
      rule,
      alice,
      { durationHours: 48, justification: 'one more week' },
      new Date('2030-01-02T09:00:00.000Z'),
    );

    // Act
    const job = notifyJobOf(asked, false);

    // Assert
    expect(job).toEqual({
      kind: 'notify',
      requestId: asked.id,
      isNew: false,
      status: 'active',
      statusChanged: false,
      note: 'one more week',
      event: 'extension-requested',
      expiresAt: active.expiresAt,
      extensionHours: 48,
    });
    expect(SlackJobSchema.parse(job)).toEqual(job);
  });
});

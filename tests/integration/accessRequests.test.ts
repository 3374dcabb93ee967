import { call, paymentsRequest, people, startStore, type Caller } from '../support/accessRequestApi';

let store: Awaited<ReturnType<typeof startStore>>;
beforeAll(async () => {
  store = await startStore();
});
afterAll(async () => store?.stop());

async function submit(caller: Caller = people.alice, body: unknown = paymentsRequest(), headers: Record<string, string> = {}) {
  return call('submitAccessRequest', { caller, body, headers });
}

/** A request on a ServiceAccount of its own, so that it adds to no other test's workload. */
const ownWorkload = (name: string) => paymentsRequest({ serviceAccount: `own-${name.toLowerCase()}` });

describe('access requests against the embedded DynamoDB', () => {
  it('walks submit → approve → get → events, and serves the manifest once active', async () => {
    const submitted = await submit();
    expect(submitted.status).toBe(201);
    expect(submitted.body).toMatchObject({ status: 'pending', version: 1, requester: { subject: 'alice' }, ruleId: 'payments' });
    const { id } = submitted.body;

    expect((await call('getAccessRequestManifest', { caller: people.bob, id })).body.error.code).toBe('GRANT_NOT_ACTIVE');
    const approved = await call('approveAccessRequest', { caller: people.bob, id, body: { comment: 'ok for the export' } });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      status: 'active',
      grant: { mode: 'plan-only' },
      approvals: [{ subject: 'bob', comment: 'ok for the export' }],
    });

    const fetched = await call('getAccessRequest', { caller: people.alice, id });
    expect(fetched.body.status).toBe('active');
    const events = (await call('getAccessRequestEvents', { caller: people.alice, id })).body.events;
    expect(
      events.map((event: { seq: number; type: string; from: string | null; to: string }) => [event.seq, event.type, event.from, event.to]),
    ).toEqual([
      [1, 'submitted', null, 'pending'],
      [2, 'approved', 'pending', 'approved'],
      [3, 'provisioning-started', 'approved', 'provisioning'],
      [4, 'activated', 'provisioning', 'active'],
    ]);
    expect(events[1]).toMatchObject({ actor: { subject: 'bob', source: 'jwt' }, comment: 'ok for the export' });
    const manifest = await call('getAccessRequestManifest', { caller: people.alice, id });
    expect(manifest.status).toBe(200);
    expect(manifest.headers['x-irsa-broker-grant-mode']).toBe('plan-only');
    expect(manifest.body).toContain(`irsa-broker.io/request-id: ${id}`);

    const revoked = await call('revokeAccessRequest', { caller: people.alice, id });
    expect(revoked.body.status).toBe('revoked');
    const again = await call('revokeAccessRequest', { caller: people.alice, id });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'ILLEGAL_TRANSITION', details: { current: 'revoked' } });
  });

  describe('who may read', () => {
    const olga = { sub: 'olga', email: 'olga@example.com', groups: ['team-payments'] };
    const ida = { sub: 'ida', groups: ['auditors'] };

    it.each(['getAccessRequest', 'getAccessRequestEvents', 'getAccessRequestManifest'])(
      'answers %s for a signed-in stranger with 404, as if the request did not exist',
      async (handler) => {
        const { id } = (await submit(people.alice, ownWorkload(handler))).body;
        const response = await call(handler, { caller: people.mallory, id });
        expect(response.status).toBe(404);
        expect(response.body.error.code).toBe('ACCESS_REQUEST_NOT_FOUND');
      },
    );

    it('lists only what the caller may read', async () => {
      const { id } = (await submit(people.alice, ownWorkload('listed'))).body;
      const asStranger = await call('listAccessRequests', { caller: people.mallory, query: { namespace: 'payments', limit: '100' } });
      const asAuditor = await call('listAccessRequests', { caller: ida, query: { namespace: 'payments', limit: '100' } });
      expect(asStranger.body.items).toEqual([]);
      expect(asAuditor.body.items.map((item: { id: string }) => item.id)).toContain(id);
    });

    it("shows the requester's email and groups to approvers and auditors, not to a fellow owner", async () => {
      const { id } = (await submit(people.alice, ownWorkload('viewed'))).body;
      const [owner, approver, auditor] = await Promise.all(
        [olga, people.bob, ida].map((caller) => call('getAccessRequest', { caller, id })),
      );
      expect(owner!.body.requester).toEqual({ subject: 'alice', source: 'jwt' });
      expect(approver!.body.requester).toMatchObject({ email: 'alice@example.com', groups: ['team-payments'] });
      expect(auditor!.body.requester).toMatchObject({ email: 'alice@example.com' });
      const events = (await call('getAccessRequestEvents', { caller: olga, id })).body.events;
      expect(events[0].actor).toEqual({ subject: 'alice', source: 'jwt' });
    });
  });

  it('keeps a group named "Contractors payments-leads" one group: its members are no approvers', async () => {
    const { id } = (await submit(people.alice, ownWorkload('contractor'))).body;
    const contractor = { sub: 'zed', email: 'zed@contractor.example', groups: ['Contractors payments-leads'] };
    const response = await call('approveAccessRequest', { caller: contractor, id });
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('NOT_AN_APPROVER');
  });

  it('gives two racing approvals exactly one transition', async () => {
    const { id } = (await submit()).body;
    const results = await Promise.all([
      call('approveAccessRequest', { caller: people.bob, id }),
      call('approveAccessRequest', { caller: people.dave, id }),
    ]);
    expect(results.map((result) => result.status).sort()).toEqual([200, 409]);
    const events = (await call('getAccessRequestEvents', { caller: people.bob, id })).body.events;
    expect(events.filter((event: { type: string }) => event.type === 'approved')).toHaveLength(1);
    expect(events.map((event: { seq: number }) => event.seq)).toEqual([1, 2, 3, 4]);
  });

  it('lets exactly one of two writers at the same version win in the store itself', async () => {
    const { id } = (await submit()).body;
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const { DynamoAccessRequestStore } = await import('../../src/adapters/aws/dynamoAccessRequestStore');
    const requestStore = new DynamoAccessRequestStore(new DynamoDBClient({}), process.env.IRSA_BROKER_TABLE!);
    const current = (await requestStore.get(id))!;
    const outcomes = await Promise.allSettled([
      requestStore.replace({ ...current, version: 2, status: 'cancelled' }, 1),
      requestStore.replace({ ...current, version: 2, status: 'rejected' }, 1),
    ]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    const loser = outcomes.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason).toMatchObject({ code: 'CONCURRENT_UPDATE' });
    expect((await requestStore.get(id))!.version).toBe(2);
  });

  it('needs the configured number of distinct approvals', async () => {
    const frank = { sub: 'frank', email: 'frank@example.com', groups: ['platform-admins'] };
    const { id } = (await submit(people.dave, paymentsRequest({ namespace: 'ledger' }))).body;
    const first = await call('approveAccessRequest', { caller: frank, id });
    expect(first.body).toMatchObject({ status: 'pending', approvals: [{ subject: 'frank' }] });
    const repeated = await call('approveAccessRequest', { caller: frank, id });
    expect(repeated.body.error.code).toBe('ALREADY_APPROVED');
    const second = await call('approveAccessRequest', { caller: people.erin, id });
    expect(second.body.status).toBe('active');
  });

  it('returns the same request for a replayed Idempotency-Key and 409 for the same key with another body', async () => {
    const headers = { 'idempotency-key': 'portal-7f3a' };
    const first = await submit(people.alice, paymentsRequest(), headers);
    const replay = await submit(people.alice, paymentsRequest(), headers);
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe(first.body.id);
    const clash = await submit(people.alice, paymentsRequest({ justification: 'something else' }), headers);
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const otherCaller = await submit(people.carol, paymentsRequest(), headers);
    expect(otherCaller.body.id).not.toBe(first.body.id);
  });

  it('pages through a filtered list with a stable opaque cursor', async () => {
    const created: string[] = [];
    for (let index = 0; index < 7; index++) {
      created.push((await submit(people.alice, paymentsRequest({ namespace: 'payments-batch', serviceAccount: `job-${index}` }))).body.id);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await call('listAccessRequests', {
        caller: people.bob,
        query: { cluster: 'dev', namespace: 'payments-batch', status: 'pending', limit: '3', ...(cursor ? { cursor } : {}) },
      });
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((item: { id: string }) => item.id));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...created].reverse());
    const byRequester = await call('listAccessRequests', {
      caller: people.bob,
      query: { requester: 'alice', namespace: 'payments-batch', limit: '100' },
    });
    expect(byRequester.body.items).toHaveLength(7);
    const badCursor = await call('listAccessRequests', { caller: people.bob, query: { cursor: 'not-a-cursor' } });
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.error.code).toBe('INVALID_CURSOR');
    const badStatus = await call('listAccessRequests', { caller: people.bob, query: { status: 'sleeping' } });
    expect(badStatus.status).toBe(422);
  });

  it('lets only the requester cancel, and only while pending', async () => {
    const { id } = (await submit()).body;
    expect((await call('cancelAccessRequest', { caller: people.bob, id })).body.error.code).toBe('NOT_THE_REQUESTER');
    expect((await call('cancelAccessRequest', { caller: people.alice, id, body: { comment: 'not needed' } })).body.status).toBe(
      'cancelled',
    );
    expect((await call('approveAccessRequest', { caller: people.bob, id })).status).toBe(409);
  });

  it('requires a comment to reject', async () => {
    const { id } = (await submit()).body;
    expect((await call('rejectAccessRequest', { caller: people.bob, id })).body.error.code).toBe('COMMENT_REQUIRED');
    const rejected = await call('rejectAccessRequest', { caller: people.bob, id, body: { comment: 'use the shared exporter' } });
    expect(rejected.body.status).toBe('rejected');
  });
});

describe('authorization', () => {
  it('answers 401 without an identity', async () => {
    const response = await call('submitAccessRequest', { body: paymentsRequest() });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('answers 403 to a requester whose groups do not own the namespace', async () => {
    const response = await submit(people.mallory);
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('NOT_A_NAMESPACE_OWNER');
  });

  it('answers 403 to an approve from a non-approver', async () => {
    const { id } = (await submit()).body;
    const response = await call('approveAccessRequest', { caller: people.mallory, id });
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('NOT_AN_APPROVER');
  });

  it('answers 403 to self-approval, even from an approver', async () => {
    const { id } = (await submit(people.carol)).body;
    const response = await call('approveAccessRequest', { caller: people.carol, id });
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('SELF_APPROVAL');
  });

  it('auto-approves only what the rules allow', async () => {
    const publicRead = paymentsRequest({ grants: [{ type: 's3', bucket: 'acme-public-docs', level: 'read' }], durationHours: 24 });
    const auto = await submit(people.alice, publicRead);
    expect(auto.body).toMatchObject({ status: 'active', grant: { mode: 'plan-only' } });
    const events = (await call('getAccessRequestEvents', { caller: people.alice, id: auto.body.id })).body.events;
    expect(events[1]).toMatchObject({ type: 'auto-approved', actor: { subject: 'irsa-broker', source: 'system' } });

    const write = await submit(people.alice, { ...publicRead, grants: [{ type: 's3', bucket: 'acme-public-docs', level: 'write' }] });
    expect(write.body.status).toBe('pending');
    const longer = await submit(people.alice, { ...publicRead, durationHours: 500 });
    expect(longer.body.status).toBe('pending');
    const otherBucket = await submit(people.alice, { ...publicRead, grants: [{ type: 's3', bucket: 'acme-private-docs', level: 'read' }] });
    expect(otherBucket.body.status).toBe('pending');
  });

  it('refuses a duration above the rule maximum with 422', async () => {
    const response = await submit(people.alice, paymentsRequest({ durationHours: 1000 }));
    expect(response.status).toBe(422);
    expect(response.body.error).toMatchObject({ code: 'DURATION_EXCEEDS_MAXIMUM', details: { limit: 720, actual: 1000 } });
  });

  it('answers 404 for ids it never issued', async () => {
    expect((await call('getAccessRequest', { caller: people.alice, id: '00000000-0000-4000-8000-000000000000' })).status).toBe(404);
    expect((await call('getAccessRequest', { caller: people.alice, id: 'x'.repeat(5000) })).status).toBe(404);
  });
});

describe('extending an active grant', () => {
  const HOUR_MS = 3_600_000;
  const publicRead = paymentsRequest({ grants: [{ type: 's3', bucket: 'acme-public-docs', level: 'read' }], durationHours: 24 });
  const eventTypes = async (id: string) =>
    (await call('getAccessRequestEvents', { caller: people.alice, id })).body.events.map((event: { type: string }) => event.type);
  /** Whether an expiry is `hours` from now, give or take the test's own run time. */
  const isHoursFromNow = (expiresAt: string, hours: number) => Math.abs(Date.parse(expiresAt) - (Date.now() + hours * HOUR_MS)) < 60_000;

  const extend = (caller: Caller, id: string, body: Record<string, unknown>) => call('extendAccessRequest', { caller, id, body });

  async function activeGrant(body: unknown = paymentsRequest({ durationHours: 24 })) {
    const { id, status } = (await submit(people.alice, body)).body;
    if (status === 'pending') await call('approveAccessRequest', { caller: people.bob, id });
    return (await call('getAccessRequest', { caller: people.alice, id })).body;
  }

  it('extends an auto-approvable grant at once, counted from now, audited', async () => {
    const grant = await activeGrant(publicRead);
    expect(grant.status).toBe('active');

    const extended = await extend(people.alice, grant.id, { durationHours: 168, justification: 'docs sync all week' });

    expect(extended.status).toBe(200);
    expect(extended.body).toMatchObject({ status: 'active', version: grant.version + 1 });
    expect(extended.body.extension).toBeUndefined();
    expect(isHoursFromNow(extended.body.expiresAt, 168)).toBe(true);
    expect((await eventTypes(grant.id)).slice(-2)).toEqual(['extension-requested', 'extended']);
  });

  it('waits for an approver otherwise; approve moves the expiry, and refuses the requester and a second extension', async () => {
    const grant = await activeGrant();
    const asked = await extend(people.alice, grant.id, { durationHours: 48, justification: 'backfill' });
    expect(asked.status).toBe(200);
    expect(asked.body).toMatchObject({
      status: 'active',
      expiresAt: grant.expiresAt,
      extension: { durationHours: 48, justification: 'backfill', requestedBy: { subject: 'alice' }, approvals: [] },
    });

    const again = await extend(people.carol, grant.id, { durationHours: 96, justification: 'x' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('EXTENSION_PENDING');
    const self = await call('approveAccessRequest', { caller: people.alice, id: grant.id });
    expect(self.status).toBe(403);

    const approved = await call('approveAccessRequest', { caller: people.dave, id: grant.id, body: { comment: 'fine' } });
    expect(approved.status).toBe(200);
    expect(approved.body.extension).toBeUndefined();
    expect(isHoursFromNow(approved.body.expiresAt, 48)).toBe(true);
    expect((await eventTypes(grant.id)).slice(-2)).toEqual(['extension-requested', 'extended']);
  });

  it('keeps the grant as it was when an approver rejects the extension', async () => {
    const grant = await activeGrant();
    await extend(people.carol, grant.id, { durationHours: 48, justification: 'backfill' });
    // carol asked for it, so carol may not decide on it, although she approves payments requests.
    expect((await call('rejectAccessRequest', { caller: people.carol, id: grant.id, body: { comment: 'no' } })).body.error.code).toBe(
      'SELF_APPROVAL',
    );

    const rejected = await call('rejectAccessRequest', { caller: people.bob, id: grant.id, body: { comment: 'not this month' } });

    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'active', expiresAt: grant.expiresAt });
    expect(rejected.body.extension).toBeUndefined();
    expect((await eventTypes(grant.id)).at(-1)).toBe('extension-rejected');
  });

  it('answers 409 naming the state for a request that is not active, 403 to a stranger and 422 past the rule maximum', async () => {
    const { id: pendingId } = (await submit()).body;
    const pending = await extend(people.alice, pendingId, { durationHours: 48, justification: 'x' });
    expect(pending.status).toBe(409);
    expect(pending.body.error).toMatchObject({ code: 'GRANT_NOT_ACTIVE', details: { current: 'pending' } });

    const grant = await activeGrant();
    const stranger = await extend(people.mallory, grant.id, { durationHours: 48, justification: 'x' });
    expect(stranger.status).toBe(403);
    expect(stranger.body.error.code).toBe('NOT_ALLOWED_TO_EXTEND');
    const tooLong = await extend(people.alice, grant.id, { durationHours: 1000, justification: 'x' });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.error).toMatchObject({ code: 'DURATION_EXCEEDS_MAXIMUM', details: { limit: 720, actual: 1000 } });
    const noReason = await extend(people.alice, grant.id, { durationHours: 48 });
    expect(noReason.status).toBe(422);
  });
});

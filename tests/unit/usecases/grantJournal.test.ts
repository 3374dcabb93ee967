import { GrantJournal } from '../../../src/usecases/grantJournal';
import { makeAccessRequestRecord, SUBMITTED_AT } from '../../support/accessRequestRecord';
import { InMemoryAccessRequestStore, ManualClock } from '../../support/fakes';

/** The store, noting how many events each write carried. */
class CountingStore extends InMemoryAccessRequestStore {
  readonly eventsPerWrite: number[] = [];

  override async replace(...args: Parameters<InMemoryAccessRequestStore['replace']>): Promise<void> {
    this.eventsPerWrite.push(args[0].events.length);
    await super.replace(...args);
  }
}

describe('GrantJournal', () => {
  it('carries only the latest write’s events from one write to the next, however long the run', async () => {
    // Arrange
    const store = new CountingStore();
    const record = makeAccessRequestRecord();
    await store.create(record);
    const journal = new GrantJournal((await store.get(record.id))!, { store, clock: new ManualClock(SUBMITTED_AT) });

    // Act
    for (let change = 1; change <= 50; change++) await journal.change(`change ${change}`);

    // Assert
    expect(Math.max(...store.eventsPerWrite)).toBe(2);
    expect(journal.current.events.map((event) => event.seq)).toEqual([51]);
    expect(journal.current).toEqual(store.stored(record.id));
    expect((await store.trail(record.id)).map((event) => event.seq)).toEqual(Array.from({ length: 51 }, (_, index) => index + 1));
  });

  it('moves a trail stored in the old shape to event items on its next write', async () => {
    // Arrange: an item written before event items existed: whole trail inside, no eventCount
    const store = new InMemoryAccessRequestStore();
    const legacy = makeAccessRequestRecord();
    legacy.events.push({ ...legacy.events[0]!, seq: 2, type: 'approved', from: 'pending', to: 'approved' });
    store.records.set(legacy.id, legacy);
    const before = await store.trail(legacy.id);

    // Act
    const journal = new GrantJournal((await store.get(legacy.id))!, { store, clock: new ManualClock(SUBMITTED_AT) });
    await journal.change('CreateRole');

    // Assert
    expect(before.map((event) => event.seq)).toEqual([1, 2]);
    expect(store.records.get(legacy.id)).toMatchObject({ eventCount: 3, events: [{ seq: 3, reason: 'CreateRole' }] });
    expect([...store.eventItems.get(legacy.id)!.keys()].sort()).toEqual([1, 2, 3]);
    expect((await store.trail(legacy.id)).map((event) => [event.seq, event.type])).toEqual([
      [1, 'submitted'],
      [2, 'approved'],
      [3, 'aws-change'],
    ]);
  });
});

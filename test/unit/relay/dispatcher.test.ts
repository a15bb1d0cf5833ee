import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { parseConfig } from '../../../src/config/load.js';
import { NotifyError } from '../../../src/errors.js';
import { Formatter } from '../../../src/notifiers/format.js';
import type { Availability, Delivery, Notifier } from '../../../src/notifiers/notifier.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { Dispatcher } from '../../../src/relay/dispatcher.js';
import type { GroupMessage } from '../../../src/alerts/messages.js';
import { openDb } from '../../../src/store/db.js';
import { Outbox } from '../../../src/store/outbox.js';
import { FakeClock } from '../fakeClock.js';

/** A notifier that records lines, can be switched off, and can fail after N lines. */
class RecordingNotifier implements Notifier {
  readonly kind = 'test';
  sentMeans(): string {
    return 'recorded by the test';
  }
  readonly digestsBacklog = true;
  readonly lines: string[] = [];
  isReady = true;
  failAfter: number | undefined;
  /** When set, awaitTurn waits until the test opens the turn (a busy path). */
  turn: { open: () => void; promise: Promise<void> } | undefined;
  awaitTurn(): Promise<void> {
    return this.turn?.promise ?? Promise.resolve();
  }
  closeTurn(): void {
    let open = (): void => undefined;
    const promise = new Promise<void>((r) => (open = r));
    this.turn = { open: () => ((this.turn = undefined), open()), promise };
  }
  outage: Availability['lastOutage'];
  private ev = new EventEmitter();
  handles(d: string): boolean {
    return d.startsWith('test:');
  }
  ready(): boolean {
    return this.isReady;
  }
  availability(): Availability {
    return { readySinceMs: 0, lastOutage: this.outage };
  }
  prepare(_d: string, lines: readonly string[]): string[] {
    return [...lines];
  }
  async send(d: Delivery): Promise<void> {
    if (d.entryId !== undefined) this.entryIds.push(d.entryId);
    for (let i = d.startAt; i < d.lines.length; i++) {
      if (this.failAfter !== undefined && this.lines.length >= this.failAfter) {
        this.failAfter = undefined;
        throw new NotifyError('link dropped', { retryable: true });
      }
      this.lines.push(d.lines[i] as string);
      d.onProgress(i + 1);
    }
  }
  /** Entry ids delivered, for the unconfirmed report. */
  readonly entryIds: number[] = [];
  reportUnconfirmed(destination: string, ids: number[], why: string): void {
    this.ev.emit('unconfirmed', destination, ids, why);
  }
  onUnconfirmed(l: (destination: string, ids: readonly number[], why: string) => void): () => void {
    this.ev.on('unconfirmed', l);
    return () => this.ev.off('unconfirmed', l);
  }
  setReady(r: boolean): void {
    this.isReady = r;
    this.ev.emit('ready');
  }
  onReadyChange(l: () => void): () => void {
    this.ev.on('ready', l);
    return () => this.ev.off('ready', l);
  }
}

function group(name: string, n = 1): GroupMessage {
  return {
    kind: 'group',
    groupKey: name,
    status: 'firing',
    commonLabels: { alertname: name },
    truncated: 0,
    alerts: Array.from({ length: n }, (_, i) => ({ fp: `${name}-${i}`, status: 'firing' as const, name, instance: `h${i}`, severity: 'critical', summary: '' })),
  };
}

/** Lets pending promise callbacks run (the dispatcher is async; the clock is fake). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

describe('Dispatcher', () => {
  const config = parseConfig('format:\n  colors: false\n  max_alert_lines: 0\noutbox:\n  replay_max: 3\n  stale_after: 2m\n', 't.yaml', {});
  let clock: FakeClock;
  let outbox: Outbox;
  let notifier: RecordingNotifier;
  let dispatcher: Dispatcher;

  beforeEach(() => {
    clock = new FakeClock();
    outbox = new Outbox(openDb(':memory:'), 100);
    notifier = new RecordingNotifier();
    dispatcher = new Dispatcher(outbox, [notifier], new Formatter(config.format), config.outbox, clock, silentLogger());
  });
  afterEach(async () => {
    await dispatcher.stop();
  });

  it('delivers a few fresh messages one by one, in order', async () => {
    for (const n of ['A', 'B']) outbox.enqueue('test:x', group(n), clock.now());
    dispatcher.poke('test:x');
    await settle();
    assert.deepEqual(notifier.lines, ['[FIRING] critical A h0', '[FIRING] critical B h0']);
    assert.equal(outbox.pendingCount(), 0);
  });

  it('folds a backlog built up while the destination was away into one digest', async () => {
    notifier.isReady = false;
    for (const n of ['A', 'B', 'C', 'D', 'E']) {
      outbox.enqueue('test:x', group(n), clock.now());
      dispatcher.poke('test:x');
    }
    await settle();
    assert.deepEqual(notifier.lines, []);
    clock.advance(12 * 60_000);
    notifier.outage = { fromMs: clock.now() - 12 * 60_000, toMs: clock.now() };
    notifier.setReady(true);
    await settle();
    assert.deepEqual(notifier.lines, ['DIGEST while disconnected 12 min: 5 fired, 0 resolved, 5 still firing', '  still firing: critical: A h0, B h0, C h0, D h0, E h0']);
    assert.equal(outbox.pendingCount(), 0);
  });

  it('chooses what to send only when it can go: a storm arriving while the path is busy is one digest', async () => {
    outbox.enqueue('test:x', group('First'), clock.now());
    dispatcher.poke('test:x');
    await settle();
    assert.deepEqual(notifier.lines, ['[FIRING] critical First h0']);
    notifier.closeTurn(); // the path is busy (no flood token) while 40 more webhooks arrive
    for (let i = 0; i < 40; i++) {
      outbox.enqueue('test:x', group(`Storm${i}`, 5), clock.now());
      dispatcher.poke('test:x');
      await settle();
    }
    assert.equal(notifier.lines.length, 1, 'nothing chosen while the path is busy');
    notifier.turn!.open();
    await settle();
    clock.advance(250); // the storm has paused for 250 ms: fold it now
    await settle();
    const digests = notifier.lines.filter((l) => l.startsWith('DIGEST'));
    assert.deepEqual(digests, ['DIGEST 40 queued notifications: 200 fired, 0 resolved, 200 still firing']);
    assert.equal(outbox.pendingCount(), 0);
  });

  it('a storm still arriving when the turn comes is folded once it pauses, into one digest, not two', async () => {
    outbox.enqueue('test:x', group('First'), clock.now());
    dispatcher.poke('test:x');
    await settle();
    notifier.closeTurn(); // busy while the first webhooks of the storm arrive
    for (let i = 0; i < 20; i++) {
      if (i === 5) notifier.turn!.open(); // the turn comes while the storm is still arriving
      outbox.enqueue('test:x', group(`Wave${i}`, 5), clock.now());
      dispatcher.poke('test:x');
      clock.advance(30); // 20 webhooks over 600 ms
      await settle();
    }
    assert.equal(notifier.lines.filter((l) => l.startsWith('DIGEST')).length, 0, 'nothing folded while it still arrives');
    clock.advance(250);
    await settle();
    assert.deepEqual(notifier.lines.filter((l) => l.startsWith('DIGEST')), ['DIGEST 20 queued notifications: 100 fired, 0 resolved, 100 still firing']);
  });

  it('never replays a stale message on its own', async () => {
    notifier.isReady = false;
    outbox.enqueue('test:x', group('Old'), clock.now());
    dispatcher.poke('test:x');
    clock.advance(3 * 60_000);
    notifier.setReady(true);
    await settle();
    assert.match(notifier.lines[0] as string, /^DIGEST .*1 fired/);
  });

  it('resumes an interrupted delivery at the next line, without repeating lines', async () => {
    const c2 = parseConfig('format:\n  colors: false\n  max_alert_lines: 5\n', 't.yaml', {});
    await dispatcher.stop();
    dispatcher = new Dispatcher(outbox, [notifier], new Formatter(c2.format), c2.outbox, clock, silentLogger());
    notifier.failAfter = 2;
    outbox.enqueue('test:x', group('Multi', 4), clock.now());
    dispatcher.poke('test:x');
    await settle();
    assert.equal(notifier.lines.length, 2);
    clock.advance(60_000); // past the retry backoff
    await settle();
    assert.deepEqual(notifier.lines, ['[FIRING:4] critical Multi: h{0-3}', '  FIRING Multi h0', '  FIRING Multi h1', '  FIRING Multi h2', '  FIRING Multi h3']);
    const row = (outbox as unknown as { db: import('better-sqlite3').Database }).db.prepare('SELECT state, attempts, last_error FROM outbox').get() as { state: string; attempts: number; last_error: string };
    assert.deepEqual(row, { state: 'sent', attempts: 1, last_error: 'link dropped' }, 'the delivery log keeps the failed attempt');
  });

  it('resumes after a restart from the progress stored on disk', async () => {
    const id = outbox.enqueue('test:x', group('Restart', 3), clock.now());
    outbox.fixLines(id, ['l1', 'l2', 'l3']);
    outbox.recordProgress(id, 2);
    dispatcher.start();
    await settle();
    assert.deepEqual(notifier.lines, ['l3']);
    assert.equal(outbox.get(id)?.state, 'sent');
  });

  it('queues again, in their place, entries a notifier reports it can no longer vouch for (issue 7.3)', async () => {
    const a = outbox.enqueue('test:x', group('InDoubt'), clock.now());
    dispatcher.poke('test:x');
    await settle();
    assert.equal(outbox.get(a)?.state, 'sent');
    assert.deepEqual(notifier.entryIds, [a]);
    notifier.isReady = false;
    notifier.reportUnconfirmed('test:x', [a], 'the canary did not come back');
    await settle();
    assert.equal(outbox.get(a)?.state, 'pending', 'back in the queue while the path is down');
    const b = outbox.enqueue('test:x', group('Later'), clock.now());
    notifier.setReady(true);
    await settle();
    assert.deepEqual(notifier.lines, ['[FIRING] critical InDoubt h0', '[FIRING] critical InDoubt h0', '[FIRING] critical Later h0'], 'sent again before what came later');
    assert.equal(outbox.get(a)?.state, 'sent');
    assert.equal(outbox.get(b)?.state, 'sent');
  });

  it('survives a full disk: the worker reports the fault, backs off, and delivers everything once space is back, with no new webhook (issue 7.5)', async () => {
    const faults: Array<string | undefined> = [];
    await dispatcher.stop();
    dispatcher = new Dispatcher(outbox, [notifier], new Formatter(config.format), config.outbox, clock, silentLogger(), {
      sent: () => undefined,
      failed: () => undefined,
      workerFault: (_d, err) => faults.push(err === undefined ? undefined : String((err as { code?: string }).code)),
    });
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    const markSent = outbox.markSent.bind(outbox);
    let diskFull = true;
    outbox.markSent = (id, now) => {
      if (diskFull) throw full;
      markSent(id, now);
    };
    outbox.enqueue('test:x', group('DiskFull'), clock.now());
    dispatcher.poke('test:x');
    await settle();
    assert.deepEqual(notifier.lines, ['[FIRING] critical DiskFull h0'], 'sent once');
    assert.deepEqual(faults, ['SQLITE_FULL']);
    assert.equal(dispatcher.faults().size, 1);
    outbox.enqueue('test:x', group('WhileFull'), clock.now()); // accepted before the disk filled up
    for (let i = 0; i < 5; i++) {
      clock.advance(30_000);
      await settle();
    }
    assert.deepEqual(notifier.lines, ['[FIRING] critical DiskFull h0'], 'not sent again while its "sent" cannot be recorded');
    diskFull = false;
    clock.advance(30_000);
    await settle();
    clock.advance(30_000);
    await settle();
    // Four minutes late, so it comes as a digest (stale_after 2m), without any new webhook.
    assert.deepEqual(notifier.lines, ['[FIRING] critical DiskFull h0', 'DIGEST 1 queued notifications: 1 fired, 0 resolved, 1 still firing', '  critical WhileFull ×1: h0'], 'nothing twice');
    assert.equal(outbox.pendingCount(), 0);
    assert.equal(faults.at(-1), undefined, 'the fault cleared');
    assert.equal(dispatcher.faults().size, 0);
  });
});

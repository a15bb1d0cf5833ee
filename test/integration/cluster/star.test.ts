import assert from 'node:assert/strict';
import { tempDir } from '../harness/procs.js';
import { TestInstance, type InstanceEvent } from './instances.js';
import { NatsRegions } from './natsRegions.js';

/*
 * Three regions: a is the hub, b and c are leaves (a star: nats-server refuses a triangle of leaf
 * links as a loop). What losing the hub region costs: the leaves cannot reach each other until it
 * returns, then they catch up with nothing lost.
 */
describe('cluster transport, three regions in a star (issue 23)', function () {
  this.timeout(120_000);
  let regions: NatsRegions;
  let tmp: { dir: string; remove: () => void };
  const inst = new Map<string, TestInstance>();
  const names = ['a', 'b', 'c'];
  const get = (n: string): TestInstance => inst.get(n) as TestInstance;

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    tmp = tempDir('cluster3');
    regions = new NatsRegions(names);
    await regions.start();
    for (const n of names) inst.set(n, new TestInstance({ name: n, peers: names.filter((x) => x !== n), natsUrl: regions.servers.get(n)?.url ?? '' }, tmp.dir));
    await Promise.all([...inst.values()].map((i) => i.start()));
    await Promise.all([...inst.values()].map((i) => i.waitEvent('settled', (e) => e.ev === 'settled', 30_000)));
  });

  after(async () => {
    await Promise.all([...inst.values()].map((i) => i.kill()));
    await regions?.destroy();
    tmp?.remove();
  });

  const from = (e: InstanceEvent, who: string, kind: string): boolean => e.ev === 'applied' && e['from'] === who && e.kind === kind;

  it("a leaf's decisions reach the other leaf through the hub", async () => {
    const fc = get('c').events.length;
    const fa = get('a').events.length;
    for (let i = 0; i < 10; i++) get('b').record({ kind: 'verdict', probe: `p${i}`, up: false });
    await get('c').waitCount("b's verdicts on c", (e) => from(e, 'b', 'verdict'), 10, 15_000, fc);
    await get('a').waitCount("b's verdicts on a", (e) => from(e, 'b', 'verdict'), 10, 15_000, fa);
  });

  it('hub region lost (its nats-server and instance killed): b and c see each other unreachable; hub back: caught up, 0 lost', async () => {
    const fb = get('b').events.length;
    const fc = get('c').events.length;
    await get('a').kill();
    await regions.servers.get('a')?.proc.kill();
    const downs = await Promise.all([
      get('b').waitCount('a and c down', (e) => e.ev === 'peerDown', 2, 15_000, fb),
      get('c').waitCount('a and b down', (e) => e.ev === 'peerDown', 2, 15_000, fc),
    ]);
    for (const d of downs.flat()) assert.equal(d['reason'], 'unreachable', `${String(d['peer'])}: ${String(d['reason'])}`);
    for (let i = 0; i < 20; i++) {
      get('b').record({ kind: 'ack', incident: `star-b-${i}`, by: 'bob' });
      get('c').record({ kind: 'ack', incident: `star-c-${i}`, by: 'carol' });
    }
    await get('b').waitCount('published with the hub gone', (e) => e.ev === 'published', 20, 15_000, fb);
    await get('c').waitCount('published with the hub gone', (e) => e.ev === 'published', 20, 15_000, fc);
    assert.equal(get('c').find((e) => from(e, 'b', 'ack'), fc).length, 0, 'nothing reaches c from b without the hub');
    const back = Date.now();
    await regions.restartServer('a');
    const [onC, onB] = await Promise.all([
      get('c').waitCount("b's acks on c", (e) => from(e, 'b', 'ack'), 20, 40_000, fc),
      get('b').waitCount("c's acks on b", (e) => from(e, 'c', 'ack'), 20, 40_000, fb),
    ]);
    console.log(`      hub back: b's 20 on c after ${(Math.max(...onC.map((e) => e.at)) - back).toFixed(0)} ms, c's 20 on b after ${(Math.max(...onB.map((e) => e.at)) - back).toFixed(0)} ms`);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(get('c').find((e) => from(e, 'b', 'ack'), fc).length, 20, '0 duplicates');
    assert.equal(get('b').find((e) => from(e, 'c', 'ack'), fb).length, 20);
  });
});

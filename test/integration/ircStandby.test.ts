import assert from 'node:assert/strict';
import { IrcPeer } from './harness/ircPeer.js';
import { Ngircd } from './harness/ngircd.js';
import { waitFor } from './harness/procs.js';
import { Znc, type ZncFlood } from './harness/znc.js';
import { LIFELINE_CAPS, ZncClient, type ClientLine } from './harness/zncClient.js';

/**
 * Issue 23, IRC with several Lifelines: what a standby instance sees through Debian's ZNC 1.8 in
 * front of ngircd, (a) as a second client of the same ZNC user (one nick, one upstream) or (b) as
 * its own ZNC user (its own nick). The cluster design rests on these facts; each is asserted as
 * observed. Clients ask for the capabilities Lifeline's IRC client asks for (echo-message, no
 * znc.in/self-message) unless a test says otherwise.
 *
 * "Exactly once" is checked with a marker: a person says a fresh line after the event, and once
 * every client has the marker, anything the event caused has arrived too (IRC keeps order on each
 * connection, and ZNC relays in order).
 */
describe('a standby Lifeline on ZNC: same user as a second client, or its own user (integration)', function () {
  this.timeout(120_000);
  /** Fast enough for a short test, slow enough for ngircd's own per-client limit (3 commands/s). */
  const flood: ZncFlood = { rate: 0.5, burst: 2 };
  let ircd: Ngircd;
  let znc: Znc;
  let alice: IrcPeer;
  let a: ZncClient;
  let b: ZncClient;
  let marks = 0;

  before(async () => {
    ircd = await Ngircd.start(['#alerts']);
    znc = await Znc.start(ircd.port, ['#alerts'], undefined, flood, ['lifeline-b']);
    alice = await IrcPeer.connect(ircd.port, 'alice');
    // ZNC joins for its users once on the network; wait until both nicks are in the channel.
    await waitFor('both ZNC users in #alerts', () => ['lifeline', 'lifeline-b'].every((n) => alice.lines.some((l) => l.startsWith(`:${n}!`) && l.includes(' JOIN '))), 20_000);
    a = await ZncClient.connect(znc.port, znc.loginPassword);
    b = await ZncClient.connect(znc.port, znc.loginPassword);
  });
  after(async () => {
    a?.close();
    b?.close();
    alice?.close();
    await znc?.destroy();
    await ircd?.destroy();
  });

  /** Alice says a fresh line; resolves when every client has read it. */
  async function settle(...clients: ZncClient[]): Promise<void> {
    const mark = `mark-${++marks}`;
    alice.send(`PRIVMSG #alerts :${mark}`);
    await waitFor(`${mark} at every client`, () => clients.every((c) => c.said(mark).length === 1), 15_000);
  }
  const fromNick = (ls: ClientLine[], nick: string): ClientLine[] => ls.filter((l) => l.from === nick);
  /** Both clients write `n` lines at once; seconds until people have all 2n. */
  async function burstSeconds(x: ZncClient, y: ZncClient, tag: string, n: number): Promise<number> {
    const t0 = Date.now();
    const nAlice = alice.messages.length;
    for (let i = 0; i < n; i++) {
      x.send(`PRIVMSG #alerts :${tag} x ${i}`);
      y.send(`PRIVMSG #alerts :${tag} y ${i}`);
    }
    await waitFor(`alice has all ${2 * n}`, () => alice.messages.slice(nAlice).filter((m) => m.text.startsWith(`${tag} `)).length === 2 * n, 30_000);
    const spanS = (Date.now() - t0) / 1000;
    await settle(x, y);
    return spanS;
  }

  describe('(a) two clients of the same ZNC user', () => {
    it('ZNC grants echo-message to each client; Lifeline does not ask for znc.in/self-message', () => {
      for (const c of [a, b]) {
        assert.ok(c.granted.includes('echo-message'), c.granted.join(' '));
        assert.ok(!c.granted.includes('znc.in/self-message'));
      }
      assert.ok(!LIFELINE_CAPS.includes('znc.in/self-message'));
    });

    it('a command a person says in the channel reaches each client exactly once', async () => {
      const [na, nb] = [a.lines.length, b.lines.length];
      alice.send('PRIVMSG #alerts :!ack 7');
      await settle(a, b);
      assert.equal(fromNick(a.said('!ack 7', na), 'alice').length, 1);
      assert.equal(fromNick(b.said('!ack 7', nb), 'alice').length, 1);
    });

    it('a command a person sends privately to the shared nick reaches each client exactly once', async () => {
      const [na, nb] = [a.lines.length, b.lines.length];
      alice.send('PRIVMSG lifeline :!ack 17');
      await settle(a, b);
      assert.deepEqual(a.said('!ack 17', na).map((l) => [l.from, l.target]), [['alice', 'lifeline']]);
      assert.deepEqual(b.said('!ack 17', nb).map((l) => [l.from, l.target]), [['alice', 'lifeline']]);
    });

    it('a channel line client A writes: A reads its echo once, B reads it once as said by our own nick, people once', async () => {
      const [na, nb, nAlice] = [a.lines.length, b.lines.length, alice.messages.length];
      a.send('PRIVMSG #alerts :page from A');
      await waitFor('alice has A\'s line', () => alice.messages.slice(nAlice).some((m) => m.text === 'page from A'), 15_000);
      await settle(a, b);
      assert.equal(fromNick(a.said('page from A', na), 'lifeline').length, 1, 'the echo');
      const atB = b.said('page from A', nb);
      assert.equal(atB.length, 1);
      assert.equal(atB[0]?.from, 'lifeline', 'B cannot tell it from a line of its own by the sender');
      assert.equal(alice.messages.slice(nAlice).filter((m) => m.text === 'page from A' && m.from === 'lifeline').length, 1);
    });

    it('ZNC copies a channel line to the other clients even without echo-message', async () => {
      const bare = await ZncClient.connect(znc.port, znc.loginPassword, []);
      try {
        assert.deepEqual(bare.granted, []);
        const [nb, nBare] = [b.lines.length, bare.lines.length];
        a.send('PRIVMSG #alerts :second page from A');
        await settle(a, b, bare);
        assert.equal(bare.said('second page from A', nBare).length, 1);
        assert.equal(b.said('second page from A', nb).length, 1);
        // And a client without echo-message gets no copy of its own line.
        const nBare2 = bare.lines.length;
        bare.send('PRIVMSG #alerts :from the bare client');
        await waitFor('alice has the bare client\'s line', () => alice.messages.some((m) => m.text === 'from the bare client'), 15_000);
        await settle(a, b, bare);
        assert.equal(bare.said('from the bare client', nBare2).length, 0);
        assert.equal(b.said('from the bare client', nb).length, 1);
      } finally {
        bare.close();
      }
    });

    it('a private line A writes to a person reaches every other client that has echo-message or znc.in/self-message (ZNC 1.8 CClient::EchoMessage), not a bare one', async () => {
      const self = await ZncClient.connect(znc.port, znc.loginPassword, ['znc.in/self-message']);
      const bare = await ZncClient.connect(znc.port, znc.loginPassword, []);
      try {
        assert.deepEqual(self.granted, ['znc.in/self-message']);
        const [na, nb, nSelf, nBare] = [a.lines.length, b.lines.length, self.lines.length, bare.lines.length];
        a.send('PRIVMSG alice :private from A');
        await waitFor('alice has it', () => alice.messages.some((m) => m.text === 'private from A'), 15_000);
        await settle(a, b, self, bare);
        assert.equal(a.said('private from A', na).length, 1, 'its own echo');
        assert.deepEqual(b.said('private from A', nb).map((l) => l.from), ['lifeline'], 'B has echo-message: it reads A\'s line as an echo of its own');
        assert.equal(self.said('private from A', nSelf).length, 1);
        assert.equal(bare.said('private from A', nBare).length, 0);
      } finally {
        self.close();
        bare.close();
      }
    });

    it('a canary (PRIVMSG to our own nick) from A is read twice by A and twice by B: the echo ZNC copies to every echo-message client, then the network\'s copy', async () => {
      const [na, nb] = [a.lines.length, b.lines.length];
      a.send('PRIVMSG lifeline :canary-a-1');
      await waitFor('A has the network copy', () => a.said('canary-a-1', na).length >= 2, 15_000);
      await settle(a, b);
      assert.deepEqual(a.said('canary-a-1', na).map((l) => l.from), ['lifeline', 'lifeline']);
      assert.deepEqual(b.said('canary-a-1', nb).map((l) => l.from), ['lifeline', 'lifeline']);
    });

    it('the nick stays in the channel when a client goes, so people see no QUIT; the client that stays misses nothing, the one that returns gets no playback', async () => {
      const nAlice = alice.lines.length;
      await a.quit();
      alice.send('PRIVMSG #alerts :!ack 8');
      await settle(b);
      a = await ZncClient.connect(znc.port, znc.loginPassword);
      await settle(a, b);
      assert.equal(a.said('!ack 8').length, 0, 'no playback: another client of the user was attached');
      assert.equal(b.said('!ack 8').length, 1);
      assert.deepEqual(alice.lines.slice(nAlice).filter((l) => /^:lifeline!\S+ (QUIT|PART)/.test(l)), []);
    });

    it('a PART written by one client takes the shared nick out of the channel for both', async () => {
      const nb = b.lines.length;
      a.send('PART #alerts');
      await waitFor('B reads the PART', () => b.lines.slice(nb).some((l) => l.command === 'PART' && l.from === 'lifeline'), 15_000);
      const nb2 = b.lines.length;
      a.send('JOIN #alerts');
      await waitFor('B reads the JOIN', () => b.lines.slice(nb2).some((l) => l.command === 'JOIN' && l.from === 'lifeline'), 15_000);
      await settle(a, b);
    });

    it('the clients share one flood budget: lines from A and B queue behind each other', async () => {
      const n = 6;
      const spanS = await burstSeconds(a, b, 'shared', n);
      // One queue: 2n lines, `burst` at once, then one per `rate` seconds.
      assert.ok(spanS >= (2 * n - flood.burst - 1) * flood.rate, `${2 * n} lines took ${spanS}s`);
    });
  });

  describe('(b) its own ZNC user (its own nick and upstream connection)', () => {
    let own: ZncClient;
    before(async () => {
      own = await ZncClient.connect(znc.port, znc.loginFor('lifeline-b'));
    });
    after(() => own?.close());

    it('a command a person says reaches the poster and the standby once each', async () => {
      const [na, nOwn] = [a.lines.length, own.lines.length];
      alice.send('PRIVMSG #alerts :!ack 9');
      await settle(a, own);
      assert.equal(a.said('!ack 9', na).length, 1);
      assert.equal(own.said('!ack 9', nOwn).length, 1);
    });

    it('a line the poster writes reaches the standby once, under the poster\'s nick; a standby\'s own line never reaches the poster\'s clients as ours', async () => {
      const [na, nOwn] = [a.lines.length, own.lines.length];
      a.send('PRIVMSG #alerts :page from the poster');
      own.send('PRIVMSG #alerts :line from the standby');
      await waitFor('alice has both', () => ['page from the poster', 'line from the standby'].every((t) => alice.messages.some((m) => m.text === t)), 15_000);
      await settle(a, own);
      assert.deepEqual(own.said('page from the poster', nOwn).map((l) => l.from), ['lifeline']);
      assert.deepEqual(own.said('line from the standby', nOwn).map((l) => l.from), ['lifeline-b'], 'its echo');
      assert.deepEqual(a.said('line from the standby', na).map((l) => l.from), ['lifeline-b']);
    });

    it('a command sent privately to the poster\'s nick never reaches the standby, even with no client of the poster attached (ZNC keeps its nick on the network)', async () => {
      const [na, nOwn] = [a.lines.length, own.lines.length];
      alice.send('PRIVMSG lifeline :!ack 11');
      await settle(a, own);
      assert.equal(a.said('!ack 11', na).length, 1);
      assert.equal(own.said('!ack 11', nOwn).length, 0);
      const nAlice = alice.lines.length;
      await a.quit();
      await b.quit();
      alice.send('PRIVMSG lifeline :!ack 12');
      await settle(own);
      assert.equal(own.said('!ack 12').length, 0);
      assert.deepEqual(alice.lines.slice(nAlice).filter((l) => /^:lifeline!\S+ (QUIT|PART)/.test(l)), [], 'the poster\'s nick stays, looking alive');
      a = await ZncClient.connect(znc.port, znc.loginPassword);
      b = await ZncClient.connect(znc.port, znc.loginPassword);
      await settle(a, b, own);
    });

    it('each user has its own flood budget: the standby\'s lines do not delay the poster\'s', async () => {
      const n = 6;
      const spanS = await burstSeconds(a, own, 'own', n);
      // Two queues of n lines each run side by side: well under one queue of 2n lines.
      assert.ok(spanS < (2 * n - flood.burst - 1) * flood.rate, `${2 * n} lines took ${spanS}s`);
    });

    it('a standby that reconnects gets what was said while it was away as playback, which Lifeline already ignores (znc.in/playback batch)', async () => {
      await own.quit();
      alice.send('PRIVMSG #alerts :!ack 10');
      await settle(a);
      own = await ZncClient.connect(znc.port, znc.loginFor('lifeline-b'));
      await settle(a, own);
      const replayed = own.said('!ack 10');
      assert.equal(replayed.length, 1);
      assert.match(replayed[0]?.tags ?? '', /batch=/);
      const batchId = /batch=([^;]+)/.exec(replayed[0]?.tags ?? '')?.[1];
      assert.ok(own.lines.some((l) => l.raw.startsWith(`:irc.znc.in BATCH +${batchId} znc.in/playback`) || new RegExp(`BATCH \\+${batchId} znc\\.in/playback`).test(l.raw)), 'the batch is znc.in/playback');
    });
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../../../src/store/db.js';
import { WgTimestampStore } from '../../../src/store/wgTimestamps.js';
import { tai64n } from '../../../src/probes/kinds/wireguardNoise.js';

describe('WireGuard handshake timestamps', () => {
  it('rise per key, by at least 2^24 ns (wireguard-go rounds down to that), across a restart and a clock stepped back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgts-'));
    try {
      const file = join(dir, 's.db');
      const now = 1_800_000_000_000_000_000n;
      const a = new WgTimestampStore(openDb(file));
      assert.equal(a.next('K1', now), now);
      assert.equal(a.next('K1', now + 1000n), now + 2n ** 24n, 'two probes within 16.8 ms still differ');
      assert.equal(a.next('K2', now - 5n), now - 5n, 'keys are independent');
      // A restart, and the wall clock 60 s behind: still later than the last sent.
      const b = new WgTimestampStore(openDb(file));
      assert.equal(b.next('K1', now - 60_000_000_000n), now + 2n * 2n ** 24n);
      assert.equal(b.next('K1', now + 60_000_000_000n), now + 60_000_000_000n, 'a later clock is used as is');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('TAI64N: 2^62 + 10 + seconds, then nanoseconds, big-endian', () => {
    assert.equal(tai64n(1_700_000_000_123_456_789n).toString('hex'), `${(0x400000000000000an + 1_700_000_000n).toString(16).padStart(16, '0')}${(123_456_789).toString(16).padStart(8, '0')}`);
  });
});

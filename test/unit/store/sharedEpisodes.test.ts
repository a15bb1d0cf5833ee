import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../../../src/store/db.js';
import { SharedEpisodeStore } from '../../../src/store/sharedEpisodes.js';

/* The peers' open episodes of agreed incidents (migration 19, issue 23). */
describe('shared episodes store', () => {
  it('keeps the peers\' open episodes across a restart; a late older message does not replace a newer one; a resolve drops only its episode', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-episodes-'));
    try {
      const file = join(dir, 'state.db');
      let db = openDb(file);
      let store = new SharedEpisodeStore(db);
      store.put({ instance: 'b', identity: 'path:IRC alert path', episode: 'E1', hlc: '000000000000002.000000.b' });
      store.put({ instance: 'b', identity: 'path:IRC alert path', episode: 'E0', hlc: '000000000000001.000000.b' });
      db.close();
      db = openDb(file);
      store = new SharedEpisodeStore(db);
      assert.deepEqual(store.of('path:IRC alert path').map((r) => r.episode), ['E1'], 'kept across the restart; the older message did not win');
      store.drop('b', 'path:IRC alert path', 'E0');
      assert.equal(store.of('path:IRC alert path').length, 1, 'a resolve of another episode leaves it');
      assert.equal(store.identityOf('b', 'E1'), 'path:IRC alert path');
      store.drop('b', 'path:IRC alert path', 'E1');
      assert.equal(store.of('path:IRC alert path').length, 0);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import assert from 'node:assert/strict';
import { ClusterDispatch } from '../../../src/cluster/dispatch.js';
import type { ClusterEnvelope } from '../../../src/cluster/messages.js';
import { silentLogger } from '../../../src/observability/logger.js';

describe('ClusterDispatch', () => {
  const ack = (incident: string): ClusterEnvelope => ({ from: 'b', hlc: { wallMs: 1, counter: 0, node: 'b' } as unknown as ClusterEnvelope['hlc'], body: { kind: 'ack', incident, by: 'alice' } as ClusterEnvelope['body'] });

  it('refuses messages until sealed, so the reader leaves them unacked and they come again', () => {
    const d = new ClusterDispatch(silentLogger());
    const seen: string[] = [];
    assert.throws(() => d.apply(ack('x')), /still starting/);
    d.on('ack', (b) => void seen.push(b.incident));
    d.seal();
    d.apply(ack('x'));
    assert.deepEqual(seen, ['x']);
  });

  it('skips a kind without a handler once sealed, and refuses a second handler or a late one', () => {
    const d = new ClusterDispatch(silentLogger());
    d.on('ack', () => undefined);
    assert.throws(() => d.on('ack', () => undefined), /already has a handler/);
    d.seal();
    assert.doesNotThrow(() => d.apply({ ...ack('y'), body: { kind: 'unsilence', id: 'k', by: 'alice' } as ClusterEnvelope['body'] }));
    assert.throws(() => d.on('verdict', () => undefined), /after the dispatch was sealed/);
  });
});

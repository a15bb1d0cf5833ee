import { parentPort, workerData } from 'node:worker_threads';
import { extract, type ArgOf, type ExtractorName } from './answers.js';

/*
 * The parse worker (jsonParse.ts): parses one answer off the event loop and posts back only what
 * the named extractor takes out of it. The answer comes as a transferred buffer (no copy).
 */
const { extractor, arg } = workerData as { extractor: ExtractorName; arg: ArgOf<ExtractorName> };
parentPort?.once('message', (bytes: Uint8Array) => {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    parentPort?.postMessage({ ok: false, notJson: true, why: 'not JSON' });
    return;
  }
  parentPort?.postMessage(extract(extractor, value, arg));
});

import { Worker } from 'node:worker_threads';
import { extract, type ArgOf, type ExtractedBy, type ExtractorName } from './answers.js';

/**
 * Answers up to this size are parsed on the event loop. JSON.parse's time follows what the JSON
 * holds, not its bytes: measured on this project's 2-core machine (Node 20, --optimize-for-size),
 * 4.8 MiB of objects with distinct keys took 200–270 ms, a real 16,000-target list 28–46 ms; the
 * worst shape measured costs ~55 ms per MiB, so 256 KiB stays near 14 ms.
 */
export const INLINE_MAX = 256 * 1024;

/** The parse worker's heap: an answer that needs more once parsed is refused (8 MiB of real JSON needs about 60 MB). */
const WORKER_HEAP_MB = 128;

/** Parsed and extracted, or why not (`notJson`: it is not JSON at all). */
export type ParsedAnswer<K extends ExtractorName> = ExtractedBy<K> | { ok: false; why: string; notJson?: boolean };

/**
 * Parses `bytes` (its shape already checked, jsonShape.ts) and runs the named extractor
 * (answers.ts). Up to INLINE_MAX inline; a bigger answer in a worker thread of its own, so no
 * answer holds the event loop (issue 19's target: 50 ms): the worker gets the bytes (transferred,
 * not copied) and sends back only what the extractor took out. One worker at a time, so several
 * big answers do not add up in memory; `signal` (the probe's deadline) ends a parse still running;
 * `heapMb` bounds the worker's heap (tests lower it).
 */
export async function parseAnswer<K extends ExtractorName>(bytes: Buffer, extractor: K, signal: AbortSignal, arg: ArgOf<K>, heapMb = WORKER_HEAP_MB): Promise<ParsedAnswer<K>> {
  if (bytes.length <= INLINE_MAX) {
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch {
      return { ok: false, why: 'not JSON', notJson: true };
    }
    return extract(extractor, value, arg);
  }
  const turn = queue.then(() => inWorker(bytes, extractor, signal, arg, heapMb));
  queue = turn.then(
    () => undefined,
    () => undefined,
  );
  return turn;
}

/** The parse worker's queue: one big answer at a time, in this process. */
let queue: Promise<void> = Promise.resolve();

function inWorker<K extends ExtractorName>(bytes: Buffer, extractor: K, signal: AbortSignal, arg: ArgOf<K>, heapMb: number): Promise<ParsedAnswer<K>> {
  if (signal.aborted) return Promise.resolve({ ok: false, why: 'not parsed: the probe timed out first' });
  return new Promise((resolve) => {
    const worker = new Worker(new URL('./jsonWorker.js', import.meta.url), { workerData: { extractor, arg }, resourceLimits: { maxOldGenerationSizeMb: heapMb } });
    let done = false;
    const finish = (r: ParsedAnswer<K>): void => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      void worker.terminate();
      resolve(r);
    };
    const onAbort = (): void => finish({ ok: false, why: 'not parsed within the probe\'s timeout' });
    signal.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (r: ParsedAnswer<K>) => finish(r));
    worker.on('error', (err: NodeJS.ErrnoException) =>
      finish({ ok: false, why: err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `too large to parse: it needs more than ${heapMb} MB once parsed` : `not parsed: ${err.message}` }),
    );
    worker.once('exit', (code) => finish({ ok: false, why: `not parsed: the parse worker stopped (exit ${code})` }));
    // A buffer of its own, transferred: Buffer.concat of a big answer owns its memory; else copy.
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : Buffer.from(bytes);
    worker.postMessage(own, [own.buffer as ArrayBuffer]);
  });
}

import type { PlainResponse, Request } from 'got';

type Timings = PlainResponse['timings'];

/**
 * What a probe does with each piece of a response body as it arrives: nothing more to say
 * (undefined: go on reading), `'enough'` (the check has what it needs: stop reading), or the
 * reason the answer is refused (stop reading, the probe fails with it).
 */
export type ChunkVerdict = undefined | 'enough' | { refuse: string };

/** A response read as a stream: the status and what was read of the body. */
export interface StreamedResponse {
  status: number;
  headers: PlainResponse['headers'];
  timings: Timings;
  /** Body bytes read, after decompression (what the probe's checks saw). */
  bytes: number;
  /** The body ended within the cap and nobody stopped reading it early. */
  complete: boolean;
  /** Reading stopped at the cap: there was more body than `maxBytes`. */
  capped: boolean;
  /** Why the chunk handler refused the answer, if it did. */
  refused?: string;
}

/**
 * Reads a got stream's response, chunk by chunk, never more than `maxBytes` of body after
 * decompression, and hands each chunk to `onChunk` (which keeps what its check needs, or nothing).
 *
 * Why a stream: got's promise API keeps the whole body in memory before a check sees it. A 1 GB
 * body then took Lifeline from 79 MB to 2,153 MB RSS, and a 1 MiB gzip bomb (1 GiB inflated) to
 * 1,060 MB (issue 19). Here the count is of decompressed bytes (got's `data` events come after its
 * gunzip), so a bomb stops at the cap like any other big body, and reading is pulled: zlib and the
 * socket wait while a chunk is handled, and each chunk (16–64 KiB) is handled in its own turn of
 * the event loop. The stream is destroyed on the way out whatever happened, so no socket is left
 * half-read. Throws got's errors (timeouts, resets) for the caller's `failure()`.
 */
export async function readStream(stream: Request, maxBytes: number, onChunk: (chunk: Buffer) => ChunkVerdict): Promise<StreamedResponse> {
  try {
    const response = await new Promise<PlainResponse>((resolve, reject) => {
      stream.once('response', resolve);
      stream.once('error', reject);
    });
    let bytes = 0;
    let complete = true;
    let capped = false;
    let refused: string | undefined;
    for await (const piece of stream) {
      let chunk = piece as Buffer;
      if (bytes + chunk.length > maxBytes) {
        chunk = chunk.subarray(0, maxBytes - bytes);
        capped = true;
      }
      bytes += chunk.length;
      const v = chunk.length > 0 ? onChunk(chunk) : undefined;
      if (v !== undefined) {
        complete = false;
        if (v !== 'enough') refused = v.refuse;
        break;
      }
      if (capped) {
        complete = false;
        break;
      }
    }
    return { status: response.statusCode, headers: response.headers, timings: response.timings, bytes, complete, capped, ...(refused !== undefined ? { refused } : {}) };
  } finally {
    // Whatever got still reports about a request given up is of no interest (and must not crash).
    stream.on('error', () => undefined);
    stream.destroy();
  }
}

/** Bytes as people read them: "512 B", "64 KiB", "1 MiB", "1.5 GiB". */
export function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  const [v, unit] = n < 1024 ** 2 ? [n / 1024, 'KiB'] : n < 1024 ** 3 ? [n / 1024 ** 2, 'MiB'] : [n / 1024 ** 3, 'GiB'];
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${unit}`;
}

/**
 * A chunk handler that keeps every chunk (at most the reader's cap): `text()` joins them. For
 * answers a check reads whole (JSON), with `check` looking at each chunk first (jsonShape.ts).
 */
export function keepAll(check?: (chunk: Buffer) => string | undefined): { onChunk: (c: Buffer) => ChunkVerdict; buffer: () => Buffer } {
  const parts: Buffer[] = [];
  return {
    onChunk(c) {
      const why = check?.(c);
      if (why !== undefined) return { refuse: why };
      parts.push(c);
      return undefined;
    },
    buffer: () => Buffer.concat(parts),
  };
}

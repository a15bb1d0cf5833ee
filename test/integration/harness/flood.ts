import { execFile } from 'node:child_process';

/**
 * POSTs `params` as a Twilio form to `url` `n` times at once from a child process, each signed
 * with a wrong auth token (a forged callback); resolves with the statuses. From another process,
 * so that latencies measured meanwhile in this one are Lifeline's, not the flood client's.
 */
export function forgedTwilioFlood(url: string, params: Record<string, string>, n: number): Promise<number[]> {
  const script = `
    const { createHmac } = await import('node:crypto');
    const [url, params, n] = JSON.parse(process.env.FLOOD);
    const body = new URLSearchParams(params).toString();
    const sig = (i) => createHmac('sha1', 'forged-' + i).update(url + Object.keys(params).sort().map((k) => k + params[k]).join('')).digest('base64');
    const r = await Promise.all(Array.from({ length: n }, (_, i) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sig(i) }, body }).then((x) => x.status)));
    process.stdout.write(JSON.stringify(r));`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, FLOOD: JSON.stringify([url, params, n]) }, timeout: 60_000 }, (err, out) => (err ? reject(err) : resolve(JSON.parse(out) as number[])));
  });
}

/** Asks /healthz every 5 ms until `until` settles; resolves with the longest wait in ms. */
export async function longestHealthzWhile(port: number, until: Promise<unknown>): Promise<number> {
  let done = false;
  void until.finally(() => (done = true));
  let worst = 0;
  for (let i = 0; !done && i < 100_000; i++) {
    const t0 = performance.now();
    await (await fetch(`http://127.0.0.1:${port}/healthz`)).arrayBuffer();
    worst = Math.max(worst, performance.now() - t0);
    await new Promise((r) => setTimeout(r, 5));
  }
  return worst;
}

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Podman as the tests use it. Machines here cannot reach Docker Hub, so the shared
 * podman-env.sh (next to the project: ../shared/tools) installs podman and builds a local
 * stand-in for node:20-bookworm-slim from Debian and this machine's Node; the Dockerfile stays
 * as users build it. LIFELINE_PODMAN_ENV names the script when it lives elsewhere.
 */
export function podmanEnvScript(): string {
  const candidates = [process.env['LIFELINE_PODMAN_ENV'], resolve('..', 'shared', 'tools', 'podman-env.sh'), '/work/shared/tools/podman-env.sh'].filter((c): c is string => !!c);
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`podman-env.sh not found (looked at ${candidates.join(', ')}); set LIFELINE_PODMAN_ENV to its path`);
  return found;
}

/** Result of one podman command. */
export interface PodmanResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Podman set up by podman-env.sh: its storage and engine config, passed to every call. */
export class Podman {
  private constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** Runs podman-env.sh (installs podman on first use, makes the base image) and keeps its settings. */
  static setUp(): Podman {
    const script = podmanEnvScript();
    const r = spawnSync('sh', ['-c', '. "$1" >&2 && printf "%s\\n%s\\n" "$CONTAINERS_STORAGE_CONF" "$CONTAINERS_CONF"', 'podman-env', script], { encoding: 'utf8', timeout: 15 * 60_000 });
    if (r.status !== 0) throw new Error(`podman-env.sh failed (${r.status ?? r.signal}): ${r.stderr.slice(-3000)}`);
    const [storage, conf] = r.stdout.trim().split('\n');
    return new Podman({ ...process.env, CONTAINERS_STORAGE_CONF: storage, CONTAINERS_CONF: conf });
  }

  /** Runs podman synchronously (bounded). */
  run(args: readonly string[], timeoutMs = 60_000): PodmanResult {
    const r = spawnSync('podman', args, { encoding: 'utf8', env: this.env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** Runs podman without blocking the event loop (for builds and stops while servers run in-process). */
  runAsync(args: readonly string[], timeoutMs = 60_000): Promise<PodmanResult> {
    return new Promise((resolveP) => {
      const child = spawn('podman', args, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('close', (code) => {
        clearTimeout(t);
        resolveP({ status: code ?? -1, stdout, stderr });
      });
    });
  }

  /** Like run, but throws with podman's own words when it fails. */
  ok(args: readonly string[], timeoutMs?: number): string {
    const r = this.run(args, timeoutMs);
    if (r.status !== 0) throw new Error(`podman ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-3000)}`);
    return r.stdout.trim();
  }
}

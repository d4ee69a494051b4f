import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real redis-server for tests, on a free loopback port, in its own temporary folder. With
 * `persist`, the queue survives a restart as in production (append-only file, fsync every second).
 */
export interface RedisFixture {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Stop the server: SIGTERM (clean shutdown) or SIGKILL (a crash). */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Start it again on the same port and folder. */
  start(): Promise<void>;
  /** Stop the server and remove its folder (the end of a test file). */
  dispose(): Promise<void>;
}

/** Why redis-server tests cannot run here, or undefined when they can. */
export function redisMissing(): string | undefined {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'redis-server is not installed (Debian package redis-server; .ci/run installs it)';
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export async function startRedis(o: { persist?: boolean; password?: string } = {}): Promise<RedisFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'clt-redis-'));
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', o.persist ? 'yes' : 'no', '--appendfsync', 'everysec', ...(o.password ? ['--requirepass', o.password] : [])];
  const start = () => new Promise<void>((res, rej) => {
    const p = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = p;
    let out = '';
    const t = setTimeout(() => rej(new Error(`redis-server did not start on port ${port}: ${out.slice(-500)}`)), 10_000);
    p.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (/Ready to accept connections/.test(out)) { clearTimeout(t); res(); }
    });
    p.once('exit', (code) => { clearTimeout(t); rej(new Error(`redis-server exited with ${code}: ${out.slice(-500)}`)); });
  });
  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((res) => p.once('exit', () => res()));
    p.kill(signal);
    await exited;
  };
  await start();
  const auth = o.password ? `:${encodeURIComponent(o.password)}@` : '';
  const dispose = async () => { await stop(); rmSync(dir, { recursive: true, force: true }); };
  return { port, dir, url: `redis://${auth}127.0.0.1:${port}`, stop, start, dispose };
}

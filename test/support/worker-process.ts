import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { AppConfig } from '@bg/platform';

const ROOT = path.resolve(__dirname, '../..');

/** A worker in a child process (apps/worker/src/main.ts) with the stack's settings, so a test can SIGKILL it. */
export class WorkerProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly output: string[],
  ) {}

  static async start(config: AppConfig): Promise<WorkerProcess> {
    const output: string[] = [];
    const child = spawn(
      process.execPath,
      ['-r', path.join(ROOT, 'test/support/ts-register.cjs'), path.join(ROOT, 'apps/worker/src/main.ts')],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          NODE_ENV: 'test',
          DATABASE_URL: config.DATABASE_URL,
          REDIS_URL: config.REDIS_URL,
          REDIS_CLUSTER_NODES: config.REDIS_CLUSTER_NODES,
          QUEUE_PREFIX: config.QUEUE_PREFIX,
          MASTER_KEY: config.MASTER_KEY,
          ADMIN_API_KEY: config.ADMIN_API_KEY,
          RELAY_POLL_MS: String(config.RELAY_POLL_MS),
          MAINTENANCE_ENABLED: 'false',
          LOG_LEVEL: 'info',
          WORKER_METRICS_PORT: '0',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const proc = new WorkerProcess(child, output);
    child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
    await new Promise<void>((resolve, reject) => {
      // Compiling and booting a worker takes long on a loaded machine; this only ends a worker that never starts.
      const timer = setTimeout(() => reject(new Error(`worker did not start: ${output.join('')}`)), 120_000);
      const check = () => {
        if (output.join('').includes('"worker started"')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', check);
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`worker exited ${code}: ${output.join('')}`));
      });
    });
    return proc;
  }

  /** Kills the process at once (no shutdown hooks, no graceful close): a crash. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await exited;
  }
}

import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, apiKeyRepository, type AppConfig } from '@bg/platform';
import { APP_DB } from './platform.providers';

const MARK_EVERY_MS = 60_000;

/**
 * Keeps api_keys.last_used_at without a write per request: `seen` is a map lookup on the hot path; every
 * API_KEY_LAST_USED_FLUSH_MS the keys seen (each at most once a minute per gateway) are written in one
 * UPDATE, which itself skips keys marked within the last minute by any gateway.
 */
@Injectable()
export class KeyUsageRecorder implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('KeyUsageRecorder');
  private readonly markedAt = new Map<string, number>();
  private pending = new Set<string>();
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(APP_DB) private readonly db: DataSource,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.config.API_KEY_LAST_USED_FLUSH_MS);
    this.timer.unref();
  }

  seen(keyId: string, now = Date.now()): void {
    const at = this.markedAt.get(keyId);
    if (at !== undefined && now - at < MARK_EVERY_MS) return;
    if (this.markedAt.size > 100_000) this.markedAt.clear();
    this.markedAt.set(keyId, now);
    this.pending.add(keyId);
  }

  /** Writes the keys seen since the last flush; a failure is logged and those keys wait for their next use. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const ids = [...this.pending];
    this.pending = new Set();
    try {
      await apiKeyRepository.touchLastUsed(this.db, ids);
    } catch (err) {
      for (const id of ids) this.markedAt.delete(id);
      this.logger.warn(`could not record the last use of ${ids.length} API keys: ${(err as Error).message}`);
    }
  }

  /** Before the DataSource closes (its hook is onApplicationShutdown), so the last uses are written. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    if (this.db.isInitialized) await this.flush();
  }
}

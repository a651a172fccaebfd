import { Controller, Get, Inject, type OnApplicationShutdown, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { APP_CONFIG, createRedisClient, type AppConfig, type RedisClient } from '@bg/platform';
import { Public } from '../common/auth.guard';
import { APP_DB } from '../common/platform.providers';

async function check(fn: () => Promise<unknown>, timeoutMs = 2000): Promise<{ status: 'up' | 'down'; error?: string }> {
  try {
    await Promise.race([fn(), new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), timeoutMs))]);
    return { status: 'up' };
  } catch (e) {
    return { status: 'down', error: (e as Error).message };
  }
}

@ApiTags('health')
@Controller('health')
export class HealthController implements OnApplicationShutdown {
  private readonly redis: RedisClient;

  constructor(
    @Inject(APP_DB) private readonly db: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.redis = createRedisClient(config, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
    this.redis.on('error', () => undefined);
  }

  @Get('live')
  @Public()
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @Public()
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    if (this.redis.status === 'wait') await this.redis.connect().catch(() => undefined);
    const [postgres, redis] = await Promise.all([check(() => this.db.query('SELECT 1')), check(() => this.redis.ping())]);
    const ok = postgres.status === 'up' && redis.status === 'up';
    reply.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'unavailable', checks: { postgres, redis } };
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}

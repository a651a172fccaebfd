import { Inject, Injectable, Logger, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { APP_CONFIG, createRedisClient, redactUrl, type AppConfig, type RedisClient } from '@bg/platform';

/** The gateway's ioredis connection for request-path work (the rate limiter). */
export const GATEWAY_REDIS = Symbol('GATEWAY_REDIS');

/**
 * Commands issued in the same tick share one round trip (auto-pipelining); none waits for a connection
 * (no offline queue) or longer than RATE_LIMIT_TIMEOUT_MS, so a Redis outage costs a request nothing.
 */
export const gatewayRedisProvider: Provider = {
  provide: GATEWAY_REDIS,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig) => {
    const logger = new Logger('GatewayRedis');
    const redis = createRedisClient(config, {
      enableAutoPipelining: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: config.RATE_LIMIT_TIMEOUT_MS,
      connectTimeout: 2_000,
    });
    let lastLogged = 0;
    redis.on('error', (err: Error) => {
      // ioredis retries the connection every few hundred ms while Redis is down: one line a minute is enough.
      if (Date.now() - lastLogged < 60_000) return;
      lastLogged = Date.now();
      logger.warn(`Redis ${redactUrl(config.REDIS_URL)} unavailable (${err.message}); rate limits are not enforced meanwhile`);
    });
    return redis;
  },
};

@Injectable()
export class GatewayRedisCloser implements OnApplicationShutdown {
  constructor(@Inject(GATEWAY_REDIS) private readonly redis: RedisClient) {}
  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}

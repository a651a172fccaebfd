// Loaded first by main.ts: the instrumentations patch http, undici, pg and ioredis before anything loads them.
import { startTracing } from '@bg/platform/telemetry/tracing';

startTracing('worker');

import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { loadConfig } from '../config/config';

let sdk: NodeSDK | undefined;

/** The instrumentations of both apps: inbound/outbound HTTP, undici (every vendor call), pg and ioredis. */
export function instrumentations() {
  return [
    new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => req.url === '/metrics' || (req.url ?? '').startsWith('/health') }),
    new UndiciInstrumentation(),
    new PgInstrumentation(),
    new IORedisInstrumentation(),
  ];
}

/**
 * Starts OpenTelemetry tracing for `service` when OTEL_EXPORTER_OTLP_ENDPOINT is set (or a span processor
 * is given, as tests do with an in-memory exporter); otherwise does nothing. Must run before the modules it instruments are loaded:
 * apps/<app>/src/tracing.ts is the first import of each main.ts. Returns whether tracing is on.
 */
export function startTracing(service: string, spanProcessor?: SpanProcessor): boolean {
  if (sdk) return true;
  let endpoint: string | undefined;
  try {
    endpoint = loadConfig().OTEL_EXPORTER_OTLP_ENDPOINT;
  } catch {
    // An invalid configuration is reported by main.ts, which loads it again.
    return false;
  }
  if (!endpoint && !spanProcessor) return false;
  sdk = new NodeSDK({
    serviceName: `backup-gateway-${service}`,
    ...(spanProcessor
      ? { spanProcessors: [spanProcessor] }
      : { traceExporter: new OTLPTraceExporter({ url: `${endpoint!.replace(/\/$/, '')}/v1/traces` }) }),
    instrumentations: instrumentations(),
    // Traces only: metrics are Prometheus (prom-client), logs are pino lines carrying the trace id. Without
    // these the SDK would also export OTLP metrics and logs by default.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  const stop = () => void sdk?.shutdown().catch(() => undefined);
  process.once('SIGTERM', stop);
  process.once('beforeExit', stop);
  return true;
}

/** Whether startTracing started the SDK in this process (BullMQ telemetry is set only then). */
export function tracingEnabled(): boolean {
  return sdk !== undefined;
}

/** Stops the SDK, flushing spans (tests). */
export async function stopTracing(): Promise<void> {
  await sdk?.shutdown();
  sdk = undefined;
}

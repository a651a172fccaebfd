import { context, isSpanContextValid, propagation, trace } from '@opentelemetry/api';

/**
 * Trace ids for log lines (pino `mixin`): the active span's trace_id and span_id, or nothing when no span
 * is active (tracing off costs one context lookup per line).
 */
export function traceMixin(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const sc = span.spanContext();
  return isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
}

/** The W3C traceparent of the active span (what the outbox stores beside the request id); undefined when none. */
export function currentTraceparent(): string | undefined {
  const span = trace.getSpan(context.active());
  if (!span || !isSpanContextValid(span.spanContext())) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/**
 * BullMQ's per-job telemetry metadata (as bullmq-otel reads it: a JSON carrier) for a stored traceparent,
 * so the worker's `process` span continues the API request's trace across the outbox.
 */
export function jobTelemetry(traceparent: unknown): { metadata: string } | undefined {
  return typeof traceparent === 'string' && traceparent ? { metadata: JSON.stringify({ traceparent }) } : undefined;
}

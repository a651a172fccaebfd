/**
 * Parses a Retry-After header (delta-seconds or HTTP-date) into milliseconds from `now`.
 * Also reads Azure's `retry-after-ms` / `x-ms-retry-after-ms`. Returns undefined when absent or invalid.
 */
export function parseRetryAfterMs(headers: Record<string, string | string[] | undefined>, now: Date): number | undefined {
  const header = (name: string): string | undefined => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const raw = header(name);
    if (raw && /^\d+$/.test(raw.trim())) return Number(raw.trim());
  }
  const raw = header('retry-after')?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.round(Number(raw) * 1000);
  const at = Date.parse(raw);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

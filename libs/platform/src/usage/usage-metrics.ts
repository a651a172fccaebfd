import type { UsageMetric } from '@bg/domain';

/** One computed total of a day, as the facts queries answer it: `quantity` is a decimal string (bigint in Postgres). */
export interface UsageFact {
  tenant_id: string;
  vendor: string;
  metric: UsageMetric;
  quantity: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** A UTC calendar day as 'YYYY-MM-DD'. */
export type UsageDay = string;

export function isUsageDay(value: string): boolean {
  if (!DAY.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(value);
}

/** The UTC day an instant falls on. */
export function utcDay(at: Date): UsageDay {
  return at.toISOString().slice(0, 10);
}

/** Midnight UTC starting `day`. */
export function dayStart(day: UsageDay): Date {
  if (!isUsageDay(day)) throw new Error(`not a day (YYYY-MM-DD): ${day}`);
  return new Date(`${day}T00:00:00Z`);
}

export function addDays(day: UsageDay, n: number): UsageDay {
  return utcDay(new Date(dayStart(day).getTime() + n * DAY_MS));
}

/** Days from `from` to `to`, both included (0 when `to` is before `from`). */
export function daysInRange(from: UsageDay, to: UsageDay): number {
  return Math.max(0, Math.round((dayStart(to).getTime() - dayStart(from).getTime()) / DAY_MS) + 1);
}

/**
 * A day closes `graceMinutes` after the UTC midnight that ends it: from then on its usage_daily rows are
 * final and any later difference is recorded as a correction row.
 */
export function dayClosesAt(day: UsageDay, graceMinutes: number): Date {
  return new Date(dayStart(day).getTime() + DAY_MS + graceMinutes * 60_000);
}

export function isDayClosable(day: UsageDay, now: Date, graceMinutes: number): boolean {
  return now.getTime() >= dayClosesAt(day, graceMinutes).getTime();
}

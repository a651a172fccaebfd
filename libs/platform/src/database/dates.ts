/**
 * Timestamps of a row as Postgres returns them (`Date`) or as a JSON event snapshot carries them
 * (ISO string); the domain always gets a `Date`.
 */
export function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

export function toDateOrNull(value: Date | string | null | undefined): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}

// The DATE values test/dates-timezone.test.ts round-trips: around DST changes, a leap day, the epoch
// and the ends of the range.
export const ROUNDTRIP_DATES = [
  '2026-01-01', '2025-12-31', '2026-03-08', '2026-03-29', '2026-10-25', '2026-11-01',
  '2024-02-29', '1970-01-01', '1900-01-01', '0001-01-01', '9999-12-31',
] as const

// What the page's address asks for: ?date=YYYY-MM-DD picks the day (today when absent) and
// ?refresh=ms the refresh interval. Pure, so Node can test it.

export const DEFAULT_REFRESH_MS = 3000;
const MIN_REFRESH_MS = 100;
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

// The day `search` (location.search) asks for, or null for today.
export function dayFrom(search) {
  const day = new URLSearchParams(search).get("date");
  return day && DAY_PATTERN.test(day) ? day : null;
}

// How often to refresh, in ms: ?refresh= when it is a number of at least 100, else the default.
export function refreshIntervalFrom(search) {
  const ms = Number(new URLSearchParams(search).get("refresh"));
  return Number.isFinite(ms) && ms >= MIN_REFRESH_MS ? ms : DEFAULT_REFRESH_MS;
}

// The address `href` with the day set to `day`, or without a day (today) when `day` is null.
export function withDay(href, day) {
  const url = new URL(href);
  if (day) url.searchParams.set("date", day);
  else url.searchParams.delete("date");
  return url.href;
}

// The day `days` after `day` (before it when negative), both as YYYY-MM-DD.
export function shiftDay(day, days) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

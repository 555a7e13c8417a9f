// How long a card has waited in its status and whether that is too long: pure, so Node can test it.
import { statusLabel } from "./labels.js";

const MINUTE_MS = 60_000;

// When the card entered its status: status_since, or updated_at from servers before the live board.
export function waitingSince(card) {
  return card.status_since ?? card.updated_at;
}

// "under a minute", "45 min", "1 h", "1 h 20 min", "2 d 3 h": whole minutes, rounded down.
export function durationText(ms) {
  const minutes = Math.floor(Math.max(0, ms) / MINUTE_MS);
  if (minutes < 1) return "under a minute";
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

// "Ready for 1 h 20 min" at `now` (ms since the epoch).
export function timeInStatus(card, now) {
  return `${statusLabel(card.status)} for ${durationText(now - Date.parse(waitingSince(card)))}`;
}

// Whether the card has waited in its status at least the shop's limit for it. `limits` is
// { STATUS: minutes | null } as GET /api/shop/limits answers; without limits, what the board said.
export function isLate(card, limits, now) {
  if (!limits) return card.late === true;
  const minutes = limits[card.status];
  if (minutes === null || minutes === undefined) return false;
  return now - Date.parse(waitingSince(card)) >= minutes * MINUTE_MS;
}

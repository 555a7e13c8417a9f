// How statuses, people and history entries are named on screen: pure, so Node can test it.
import { joinWords } from "./cardfields.js";

export function statusLabel(status) {
  const words = status.toLowerCase().replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// A column's count for screen readers: "1 card", "3 cards".
export function cardsCount(count) {
  return `${count} ${count === 1 ? "card" : "cards"}`;
}

// What a screen reader says for a card on the board: "09:30 Oil change, Ada", and while its
// move is saved ", saving the move to Ready". `time` is the card's time as the board shows it.
export function cardLabel(card, time) {
  const where = card.saving ? `, saving the move to ${statusLabel(card.status)}` : "";
  return `${time} ${card.title}, ${card.customer}${where}`;
}

// Who made a change: a history item's `by` is { username, name, token } or null for rows
// written before accounts existed.
export function byLabel(by) {
  if (!by) return "by someone before sign-in existed";
  const who = by.name || by.username;
  return by.token ? `by ${who} with the token “${by.token}”` : `by ${who}`;
}

// When the event happened: `at`, or `moved_at` from servers before events had kinds.
export function eventTime(item) {
  return item.at ?? item.moved_at;
}

// What a token's state is now, for its row in the account panel.
export function tokenState(token, now = new Date()) {
  if (token.revoked_at) return "Revoked";
  if (token.expires_at && Date.parse(token.expires_at) <= now.getTime()) return "Expired";
  return "Active";
}

const FIELD_NAMES = { title: "Title", customer: "Customer", scheduled_at: "Time", notes: "Note" };
const QUOTE_MAX = 60;

function quoted(text) {
  const short = text.length > QUOTE_MAX ? `${text.slice(0, QUOTE_MAX - 1)}…` : text;
  return `“${short}”`;
}

// One field of an edit in words: "Customer changed from Jon to John", "Note added: “…”".
function changeWords(field, { from, to }, clock) {
  const name = FIELD_NAMES[field] ?? statusLabel(field);
  if (field === "notes") {
    if (!from) return `${name} added: ${quoted(to)}`;
    if (!to) return `${name} removed`;
    return `${name} changed to ${quoted(to)}`;
  }
  if (field === "scheduled_at") {
    // A time moved within its day reads as two times; to another day, as two dates and times.
    const show = clock.day(from) === clock.day(to) ? clock.time : clock.full;
    return `${name} changed from ${show(from)} to ${show(to)}`;
  }
  return `${name} changed from ${from} to ${to}`;
}

// What one history item says, in words: "Moved from Checked in to In progress by Ana, 10:42".
// `clock` shows times the way the board does: { when(iso) } for the event's time, and for the
// times an edit changed { day(iso) } to tell their days apart, { time(iso) } and { full(iso) }.
export function eventSentence(item, clock) {
  const kind = item.kind ?? "moved";
  let what;
  if (kind === "moved") what = `Moved from ${statusLabel(item.from_status)} to ${statusLabel(item.to_status)}`;
  else if (kind === "created") what = "Created";
  else if (kind === "deleted") what = "Deleted";
  else if (kind === "edited") {
    const changes = Object.entries(item.changes ?? {}).map(([field, change]) => changeWords(field, change, clock));
    what = changes.length ? joinWords(changes) : "Saved without changes";
  } else what = statusLabel(kind);
  const at = eventTime(item);
  return `${what} ${byLabel(item.by)}${at ? `, ${clock.when(at)}` : ""}`;
}

// A card's history in words, newest first: in the History panel and in the card's details.
import { fetchHistory } from "./api.js";
import { byId, closeButtons, make } from "./dom.js";
import { eventSentence, eventTime } from "./labels.js";

const el = {
  dialog: byId("history-dialog"),
  title: byId("history-title"),
  message: byId("history-message"),
  list: byId("history-list"),
};

let opened = 0; // only the newest card's history is shown

export function setUpHistory() {
  closeButtons(el.dialog);
}

// Open the panel for `card` and load its history; times are shown in the board's time zone.
export async function openHistory(card, timeZone) {
  const mine = ++opened;
  el.title.textContent = `History of ${card.title}`;
  el.list.replaceChildren();
  if (!el.dialog.open) el.dialog.showModal();
  await showHistory(el.list, el.message, card.id, timeZone, () => mine === opened);
}

// Load a card's history into `list`, newest first, saying in `message` what went wrong; the list
// on screen stays until the new one is in. `stillWanted()` is false once another load replaced
// this one. Answers the items, oldest first.
export async function showHistory(list, message, id, timeZone, stillWanted = () => true) {
  list.setAttribute("aria-busy", "true");
  if (!list.children.length) message.textContent = "Loading…";
  const items = await fetchHistory(id);
  if (!stillWanted()) return null;
  list.setAttribute("aria-busy", "false");
  if (!items) {
    message.textContent = "The history could not be loaded.";
    return null;
  }
  message.textContent = items.length ? "" : "No history yet.";
  const clock = clockIn(timeZone);
  list.replaceChildren(...items.toReversed().map((item) => historyItem(item, clock)));
  return items;
}

// Times as the board shows them (see eventSentence): an event's "10:42" today and
// "9 Mar 2026, 10:42" on other days.
export function clockIn(timeZone) {
  const dayFormat = new Intl.DateTimeFormat("en-CA", { timeZone, dateStyle: "short" });
  const timeFormat = new Intl.DateTimeFormat(undefined, { timeZone, hour: "2-digit", minute: "2-digit" });
  const fullFormat = new Intl.DateTimeFormat(undefined, { timeZone, dateStyle: "medium", timeStyle: "short" });
  const day = (iso) => dayFormat.format(new Date(iso));
  const time = (iso) => timeFormat.format(new Date(iso));
  const full = (iso) => fullFormat.format(new Date(iso));
  const today = day(new Date().toISOString());
  return { day, time, full, when: (iso) => (day(iso) === today ? time(iso) : full(iso)) };
}

function historyItem(item, clock) {
  const row = make("li", "history-item", eventSentence(item, clock));
  row.dataset.version = item.version;
  row.dataset.kind = item.kind ?? "moved";
  const at = eventTime(item);
  if (at) row.title = new Date(at).toISOString();
  return row;
}

// The history panel: every event of one card (created, moved, edited), oldest first, each saying who.
import { call } from "./api.js";
import { byId, closeButtons, make } from "./dom.js";
import { byLabel, eventLabel, eventTime } from "./labels.js";

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
  el.list.setAttribute("aria-busy", "true");
  el.message.textContent = "Loading…";
  if (!el.dialog.open) el.dialog.showModal();
  const result = await call("GET", `/api/appointments/${card.id}/history`);
  if (mine !== opened || result.status === 401) return;
  el.list.setAttribute("aria-busy", "false");
  if (!result.ok) {
    el.message.textContent = result.error?.message ?? "The history could not be loaded.";
    return;
  }
  el.message.textContent = result.data.length ? "" : "No history yet.";
  const format = new Intl.DateTimeFormat(undefined, { timeZone, dateStyle: "medium", timeStyle: "short" });
  el.list.replaceChildren(...result.data.map((item) => historyItem(item, format)));
}

function historyItem(item, format) {
  const row = make("li", "history-item");
  row.dataset.version = item.version;
  row.dataset.kind = item.kind ?? "moved";
  const at = eventTime(item);
  const time = make("time", "history-time", at ? format.format(new Date(at)) : "");
  if (at) time.dateTime = at;
  row.append(make("span", "history-event", eventLabel(item)), " ", time, " ", make("span", "history-by", byLabel(item.by)));
  return row;
}

// The board view: one column per status with its count, one card per appointment with its time,
// History button and Move to list; focus kept across redraws; a click or Enter on a card opens it.
import { make } from "./dom.js";
import { isDragging } from "./drag.js";
import { cardLabel, cardsCount, statusLabel } from "./labels.js";
import { columnsOf, findCard } from "./state.js";
import { isLate, timeInStatus } from "./waiting.js";

let columns = null;
let hooks = null;
let queued = false; // a redraw asked for during a drag, done at the drop

// Draw the board into `columnsNode`. hooks:
//   state()  the board state to draw     movable()  whether the person may move cards
//   onOpen(card), onHistory(card)        a card's details or its history were asked for
//   limits()  the shop's waiting limits, or null while unknown
export function setUpBoardView(columnsNode, viewHooks) {
  columns = columnsNode;
  hooks = viewHooks;
  columns.addEventListener("click", onCardClick);
  columns.addEventListener("keydown", onOpenKey);
}

export function drawBoard() {
  if (isDragging()) {
    queued = true; // redrawing now would pull the card out from under the pointer
    return;
  }
  queued = false;
  const state = hooks.state();
  const movable = hooks.movable();
  const focus = focusedCard();
  columns.replaceChildren(...columnsOf(state).map((column, index) => renderColumn(column, index, state.board, movable)));
  restoreFocus(focus);
}

// Redraw only the columns of these statuses (a change from the live stream): the rest of the
// board, its focus and its scroll stay as they are.
export function drawColumns(statuses) {
  const drawn = columns.querySelectorAll("section.column");
  if (isDragging() || drawn.length === 0) {
    drawBoard();
    return;
  }
  const state = hooks.state();
  const movable = hooks.movable();
  const focus = focusedCard();
  columnsOf(state).forEach((column, index) => {
    if (!statuses.includes(column.status)) return;
    columns.querySelector(`section.column[data-status="${column.status}"]`)?.replaceWith(renderColumn(column, index, state.board, movable));
  });
  restoreFocus(focus);
}

// Bring each card's time in status and late mark up to `now`, touching only what changed.
export function tickClocks(now = Date.now()) {
  const state = hooks.state();
  for (const item of columns.querySelectorAll(".card")) {
    const card = findCard(state, Number(item.dataset.id));
    if (card) showWaiting(item, card, now);
  }
}

function showWaiting(item, card, now) {
  const waited = item.querySelector(".waited");
  const text = timeInStatus(card, now);
  const late = isLate(card, hooks.limits(), now);
  if (waited.firstChild.textContent !== text) waited.firstChild.textContent = text;
  item.classList.toggle("late", late);
  waited.querySelector(".late-mark").hidden = !late;
  const label = `${item.dataset.label}, ${text}${late ? ", late" : ""}`;
  if (item.getAttribute("aria-label") !== label) item.setAttribute("aria-label", label);
}

// A drag ended: draw what was held back while it lasted.
export function drawQueuedBoard() {
  if (queued) drawBoard();
}

export function clearBoard() {
  columns.replaceChildren();
}

const timeFormats = new Map();

function formatTime(iso, timeZone) {
  if (!timeFormats.has(timeZone)) {
    timeFormats.set(timeZone, new Intl.DateTimeFormat(undefined, { timeZone, hour: "2-digit", minute: "2-digit" }));
  }
  return timeFormats.get(timeZone).format(new Date(iso));
}

function renderColumn(column, index, board, movable) {
  const section = make("section", "column");
  section.dataset.status = column.status;
  const titleId = `column-${column.status}`;
  section.setAttribute("aria-labelledby", titleId);
  const heading = make("h2", "column-title");
  heading.id = titleId;
  heading.append(make("span", "column-name", statusLabel(column.status)), " ");
  const count = make("span", "count", String(column.cards.length));
  count.setAttribute("aria-label", cardsCount(column.cards.length));
  heading.append(count);
  if (movable) {
    const key = make("span", "column-key", String(index + 1));
    key.setAttribute("aria-hidden", "true");
    heading.append(key);
  }
  const list = make("ol", "cards");
  list.append(...column.cards.map((card) => renderCard(card, board, movable)));
  if (column.cards.length === 0) list.append(make("li", "empty", "No cards"));
  section.append(heading, list);
  return section;
}

function renderCard(card, board, movable) {
  const item = make("li", ["card", card.saving && "saving", !movable && "read-only"].filter(Boolean).join(" "));
  item.tabIndex = 0;
  item.dataset.id = card.id;
  item.dataset.version = card.version;
  if (movable) {
    item.setAttribute("aria-describedby", "move-help");
    item.setAttribute("aria-keyshortcuts", "ArrowLeft ArrowRight 1 2 3 4 5 6");
  }
  const time = formatTime(card.scheduled_at, board.timezone);
  item.dataset.label = cardLabel(card, time);
  if (card.saving) item.setAttribute("aria-busy", "true");

  const head = make("div", "card-head");
  const clock = make("time", "time", time);
  clock.dateTime = card.scheduled_at;
  head.append(clock);
  if (card.saving) head.append(make("span", "saving-mark", "Saving…"));
  const history = make("button", "history-button", "History");
  history.type = "button";
  history.setAttribute("aria-label", `History of ${card.title}`);
  head.append(history);

  const waited = make("p", "waited");
  waited.append(document.createTextNode(""), " ", make("strong", "late-mark", "Late"));
  item.append(head, make("p", "title", card.title), make("p", "customer", card.customer), waited);
  if (movable) item.append(moveToControl(card, board.statuses));
  showWaiting(item, card, Date.now());
  return item;
}

function moveToControl(card, statuses) {
  const control = make("label", "move-to");
  control.append(make("span", "move-to-label", "Move to"));
  const select = make("select");
  select.disabled = card.saving;
  for (const status of statuses) {
    const option = make("option", null, statusLabel(status));
    option.value = status;
    option.selected = status === card.status;
    select.append(option);
  }
  control.append(select);
  return control;
}

function focusedCard() {
  const active = document.activeElement;
  const card = active?.closest?.(".card");
  if (!card || !columns.contains(card)) return null;
  return { id: Number(card.dataset.id), onSelect: active.tagName === "SELECT" };
}

function restoreFocus(focus) {
  if (!focus) return;
  const card = columns.querySelector(`.card[data-id="${focus.id}"]`);
  if (!card) return;
  const select = card.querySelector("select");
  (focus.onSelect && select && !select.disabled ? select : card).focus({ preventScroll: false });
}

function cardOf(node) {
  return node ? findCard(hooks.state(), Number(node.dataset.id)) : null;
}

function onCardClick(event) {
  const card = cardOf(event.target.closest(".card"));
  if (!card) return;
  if (event.target.closest(".history-button")) hooks.onHistory(card);
  else if (!event.target.closest(".move-to")) hooks.onOpen(card);
}

function onOpenKey(event) {
  const node = event.target;
  if (!node.classList?.contains("card") || event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.key !== "Enter") return;
  const card = cardOf(node);
  if (!card) return;
  event.preventDefault();
  hooks.onOpen(card);
}

// The page: signs in, draws the board, turns drags, the Move to control and keys into moves, opens
// cards and the New appointment form, and refreshes.
import { openAccount, setUpAccount } from "./account.js";
import { currentAccount, fetchBoard, moveCard, SessionEnded, signOut, whenSessionEnds } from "./api.js";
import { announce, closeAllDialogs, make, toast } from "./dom.js";
import { wallClock } from "./cardfields.js";
import { boardRefreshed, detailsOpenFor, openDetails, setUpDetails } from "./details.js";
import { cancelDrag, isDragging, setUpDrag } from "./drag.js";
import { openHistory, setUpHistory } from "./history.js";
import { statusLabel } from "./labels.js";
import { openNewCard, setUpNewCard } from "./newcard.js";
import { closePeople, openPeople, setUpPeople } from "./people.js";
import { mayManagePeople, mayMove, SESSION_ENDED_MESSAGE, SIGNED_OUT_MESSAGE } from "./session.js";
import { hideSignIn, setUpSignIn, showSignIn } from "./signin.js";
import * as board from "./state.js";

const DEFAULT_REFRESH_MS = 3000;
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

const el = {
  day: document.getElementById("day"),
  previousDay: document.getElementById("previous-day"),
  nextDay: document.getElementById("next-day"),
  today: document.getElementById("today"),
  sync: document.getElementById("sync"),
  loading: document.getElementById("loading"),
  loadError: document.getElementById("load-error"),
  loadErrorMessage: document.getElementById("load-error-message"),
  retry: document.getElementById("retry"),
  columns: document.getElementById("columns"),
  dayPicker: document.getElementById("day-picker"),
  readOnly: document.getElementById("read-only"),
  identity: document.getElementById("identity"),
  whoName: document.getElementById("who-name"),
  whoRole: document.getElementById("who-role"),
  newCard: document.getElementById("new-card"),
  openAccount: document.getElementById("open-account"),
  openPeople: document.getElementById("open-people"),
  signOut: document.getElementById("sign-out"),
};

let account = null; // { id, username, name, role } while signed in
let sessionCount = 0; // answers that arrive after their session ended are dropped
let state = board.emptyState();
let etag = null;
let loadCount = 0; // only the newest load's answer is shown
let renderQueued = false;

// ---- the URL: ?date=YYYY-MM-DD picks the day (today when absent), ?refresh=ms the refresh interval

function params() {
  return new URLSearchParams(location.search);
}

function dayFromUrl() {
  const day = params().get("date");
  return day && DAY_PATTERN.test(day) ? day : null;
}

function refreshInterval() {
  const ms = Number(params().get("refresh"));
  return Number.isFinite(ms) && ms >= 100 ? ms : DEFAULT_REFRESH_MS;
}

function goToDay(day) {
  const url = new URL(location.href);
  if (day) url.searchParams.set("date", day);
  else url.searchParams.delete("date");
  history.pushState(null, "", url);
  showDay();
}

function shiftDay(day, days) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

// ---- who is signed in

// Ask the server whether this browser is signed in; show the board or the sign-in form.
async function begin() {
  let me;
  try {
    me = await currentAccount();
  } catch (error) {
    showLoadError(error.message);
    return;
  }
  if (me) signedIn(me);
  else showSignedOut("");
}

function signedIn(me) {
  sessionCount += 1;
  hideSignIn();
  showAccount(me);
  el.dayPicker.hidden = false;
  el.identity.hidden = false;
  showDay();
}

// Show who is signed in and what they may do; also after an admin changed their own account.
function showAccount(me) {
  account = me;
  el.whoName.textContent = me.name || me.username;
  el.whoRole.textContent = `(${me.role})`;
  el.openPeople.hidden = !mayManagePeople(me);
  if (!mayManagePeople(me)) closePeople();
  el.readOnly.hidden = mayMove(me);
  el.newCard.hidden = !mayMove(me);
  document.body.classList.toggle("read-only", !mayMove(me));
  if (state.board) render();
}

async function refreshAccount() {
  try {
    const me = await currentAccount();
    if (me) showAccount(me);
    else endSession(SESSION_ENDED_MESSAGE);
  } catch {
    // The server could not tell; the next refresh or action finds out.
  }
}

// The session is over (signed out here or elsewhere, a disabled account): never a broken board.
function endSession(message) {
  if (!account) return; // several answers can report the same end
  showSignedOut(message);
}

function showSignedOut(message) {
  account = null;
  sessionCount += 1;
  loadCount += 1;
  cancelDrag();
  closeAllDialogs();
  state = board.emptyState();
  etag = null;
  el.columns.replaceChildren();
  for (const node of [el.columns, el.loading, el.loadError, el.readOnly, el.identity, el.dayPicker, el.newCard]) node.hidden = true;
  document.body.classList.remove("read-only");
  setSync("");
  showSignIn(message);
}

async function onSignOut() {
  el.signOut.disabled = true;
  await signOut();
  el.signOut.disabled = false;
  // Whatever the answer, this page is signed out; a session the server still holds ends on its own.
  endSession(SIGNED_OUT_MESSAGE);
}

// ---- loading

function showDay() {
  state = { ...state, board: null };
  etag = null;
  el.columns.hidden = true;
  el.loadError.hidden = true;
  el.loading.hidden = false;
  load();
}

async function load() {
  const mine = ++loadCount;
  const shown = state.board !== null;
  let result;
  try {
    result = await fetchBoard(dayFromUrl(), shown ? etag : null);
  } catch (error) {
    if (mine !== loadCount || error instanceof SessionEnded) return;
    if (shown) setSync(`Could not refresh: ${error.message} Retrying…`, true);
    else showLoadError(error.message);
    return;
  }
  if (mine !== loadCount) return;
  el.readOnly.hidden = mayMove(account);
  if (!result.unchanged) {
    etag = result.etag;
    state = board.mergeBoard(state, board.boardFromResponse(result.data));
  }
  setSync(`Times in ${state.board.timezone} · up to date at ${new Date().toLocaleTimeString()}`);
  if (result.unchanged) return;
  if (el.day.value !== state.board.from) el.day.value = state.board.from;
  el.loading.hidden = true;
  el.loadError.hidden = true;
  el.columns.hidden = false;
  render();
  tellDetails();
}

// An open card's details hear of every refresh, so they can say the card changed under them.
function tellDetails() {
  const id = detailsOpenFor();
  if (id !== null) boardRefreshed(board.findCard(state, id) ?? undefined);
}

function showLoadError(message) {
  el.loading.hidden = true;
  el.readOnly.hidden = true;
  el.columns.hidden = true;
  el.loadErrorMessage.textContent = message;
  if (el.loadError.hidden) {
    el.loadError.hidden = false;
    el.retry.focus();
  }
}

function setSync(text, warning = false) {
  el.sync.textContent = text;
  el.sync.classList.toggle("warning", warning);
}

async function refreshForever() {
  // A hidden tab skips a beat. Moves in flight are kept by mergeBoard, and during a drag
  // render() only queues the redraw for the drop. After a failed load this keeps trying too,
  // so an unattended screen recovers by itself once the server is back.
  if (!document.hidden && !el.loadError.hidden && !account) await begin();
  else if (!document.hidden && account && (state.board !== null || !el.loadError.hidden)) await load();
  setTimeout(refreshForever, refreshInterval());
}

// ---- drawing

const timeFormats = new Map();

function formatTime(iso, timeZone) {
  if (!timeFormats.has(timeZone)) {
    timeFormats.set(timeZone, new Intl.DateTimeFormat(undefined, { timeZone, hour: "2-digit", minute: "2-digit" }));
  }
  return timeFormats.get(timeZone).format(new Date(iso));
}

function render() {
  if (isDragging()) {
    renderQueued = true; // redrawing now would pull the card out from under the pointer
    return;
  }
  renderQueued = false;
  const focus = focusedCard();
  el.columns.replaceChildren(...board.columnsOf(state).map(renderColumn));
  restoreFocus(focus);
}

function renderColumn(column, index) {
  const section = make("section", "column");
  section.dataset.status = column.status;
  const titleId = `column-${column.status}`;
  section.setAttribute("aria-labelledby", titleId);
  const heading = make("h2", "column-title");
  heading.id = titleId;
  heading.append(make("span", "column-name", statusLabel(column.status)), " ");
  const count = make("span", "count", String(column.cards.length));
  count.setAttribute("aria-label", `${column.cards.length} ${column.cards.length === 1 ? "card" : "cards"}`);
  heading.append(count);
  if (mayMove(account)) {
    const key = make("span", "column-key", String(index + 1));
    key.setAttribute("aria-hidden", "true");
    heading.append(key);
  }
  const list = make("ol", "cards");
  list.append(...column.cards.map(renderCard));
  if (column.cards.length === 0) list.append(make("li", "empty", "No cards"));
  section.append(heading, list);
  return section;
}

function renderCard(card) {
  const movable = mayMove(account);
  const item = make("li", ["card", card.saving && "saving", !movable && "read-only"].filter(Boolean).join(" "));
  item.tabIndex = 0;
  item.dataset.id = card.id;
  item.dataset.version = card.version;
  if (movable) {
    item.setAttribute("aria-describedby", "move-help");
    item.setAttribute("aria-keyshortcuts", "ArrowLeft ArrowRight 1 2 3 4 5 6");
  }
  const time = formatTime(card.scheduled_at, state.board.timezone);
  const where = card.saving ? `, saving the move to ${statusLabel(card.status)}` : "";
  item.setAttribute("aria-label", `${time} ${card.title}, ${card.customer}${where}`);
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

  item.append(head, make("p", "title", card.title), make("p", "customer", card.customer));
  if (movable) item.append(moveToControl(card));
  return item;
}

function moveToControl(card) {
  const control = make("label", "move-to");
  control.append(make("span", "move-to-label", "Move to"));
  const select = make("select");
  select.disabled = card.saving;
  for (const status of state.board.statuses) {
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
  if (!card || !el.columns.contains(card)) return null;
  return { id: Number(card.dataset.id), onSelect: active.tagName === "SELECT" };
}

function restoreFocus(focus) {
  if (!focus) return;
  const card = cardElement(focus.id);
  if (!card) return;
  const select = card.querySelector("select");
  (focus.onSelect && select && !select.disabled ? select : card).focus({ preventScroll: false });
}

function cardElement(id) {
  return el.columns.querySelector(`.card[data-id="${id}"]`);
}

// ---- moving

async function requestMove(id, status) {
  const card = board.findCard(state, id);
  if (!card) return;
  if (board.isPending(state, id)) {
    announce(`${card.title} is still being saved; move it again once it is done.`);
    return;
  }
  const moved = board.applyMove(state, id, status);
  if (!moved) return;
  state = moved;
  render();
  announce(`Moving ${card.title} to ${statusLabel(status)}…`);

  const session = sessionCount;
  let result = await moveCard(id, status, card.version);
  if (result.outcome === "conflict" && result.current?.status === card.status && session === sessionCount) {
    // Someone edited another field (the card is still where this person saw it): nothing they
    // did is undone by the move, so send it once more at the current version, without asking.
    result = await moveCard(id, status, result.current.version);
  }
  if (session !== sessionCount || result.outcome === "signed_out") return; // the sign-in form is showing
  if (result.outcome === "moved") {
    state = board.confirmMove(state, result.card);
    announce(`${card.title} moved to ${statusLabel(result.card.status)}.`);
  } else if (result.outcome === "conflict") {
    state = board.rollbackMove(state, id, result.current);
    const now = result.current ? ` It is now in ${statusLabel(result.current.status)}.` : "";
    toast(`Someone else changed this card; the board was refreshed.${now}`, "conflict");
    load();
  } else if (result.forbidden) {
    state = board.rollbackMove(state, id);
    toast(`Moving ${card.title} was refused, so it is back in ${statusLabel(card.status)}. ${result.message}`, "failure");
    refreshAccount(); // the role was lowered meanwhile: show the board as that role sees it
  } else {
    state = board.rollbackMove(state, id);
    toast(`Moving ${card.title} failed, so it is back in ${statusLabel(card.status)}. ${result.message} You can retry.`, "failure");
  }
  render();
}

function onSelectChange(event) {
  const select = event.target;
  const card = select.closest(".card");
  if (card) requestMove(Number(card.dataset.id), select.value);
}

function onCardClick(event) {
  const node = event.target.closest(".card");
  const card = node && board.findCard(state, Number(node.dataset.id));
  if (!card) return;
  if (event.target.closest(".history-button")) openHistory(card, state.board.timezone);
  else if (!event.target.closest(".move-to")) openCard(card);
}

function openCard(card) {
  openDetails(card, { timeZone: state.board.timezone, editable: mayMove(account), onSaved: cardSaved, onDeleted: cardDeleted });
}

// ---- cards saved or deleted here: on the board at once, then a refresh to catch up

function onBoardDays(card) {
  const { date } = wallClock(card.scheduled_at, state.board.timezone);
  return date >= state.board.from && date <= state.board.to;
}

function cardSaved(card) {
  if (!state.board) return;
  state = board.putCard(state, card, onBoardDays(card));
  render();
  load();
}

function cardDeleted(id) {
  state = board.removeCard(state, id);
  render();
  load();
}

function newCard() {
  if (!account || !state.board) return;
  openNewCard(state.board.from, state.board.timezone, cardSaved);
}

function onCardKey(event) {
  const card = event.target;
  if (!card.classList?.contains("card") || event.altKey || event.ctrlKey || event.metaKey) return;
  const current = board.findCard(state, Number(card.dataset.id));
  if (!current) return;
  if (event.key === "Enter") {
    event.preventDefault();
    openCard(current);
    return;
  }
  if (!mayMove(account)) return;
  const statuses = state.board.statuses;
  let status = null;
  if (event.key === "ArrowLeft") status = board.neighbourStatus(statuses, current.status, -1);
  else if (event.key === "ArrowRight") status = board.neighbourStatus(statuses, current.status, 1);
  else if (/^[1-9]$/.test(event.key)) status = statuses[Number(event.key) - 1] ?? null;
  else return;
  event.preventDefault();
  if (status) requestMove(current.id, status);
}

// ---- dragging: drag.js follows the pointer; here is what a pick-up and a drop mean

function mayPickUp(id, cardNode) {
  if (!mayMove(account)) return false;
  if (board.isPending(state, id)) {
    const title = board.findCard(state, id)?.title ?? "This card";
    announce(`${title} is still being saved; move it again once it is done.`);
    cardNode.classList.add("refused");
    return false;
  }
  return true;
}

function afterDrag() {
  if (renderQueued) render();
}

// ---- wiring

function start() {
  whenSessionEnds(() => endSession(SESSION_ENDED_MESSAGE));
  setUpSignIn(signedIn);
  setUpHistory();
  setUpDetails();
  setUpNewCard();
  setUpAccount();
  setUpPeople(refreshAccount);
  setUpDrag(el.columns, { mayPickUp, onDrop: requestMove, onEnd: afterDrag });
  el.columns.addEventListener("change", onSelectChange);
  el.columns.addEventListener("keydown", onCardKey);
  el.columns.addEventListener("click", onCardClick);
  el.columns.addEventListener("animationend", (event) => event.target.classList.remove("refused"));
  el.retry.addEventListener("click", () => (account ? showDay() : begin()));
  el.day.addEventListener("change", () => el.day.value && goToDay(el.day.value));
  el.previousDay.addEventListener("click", () => el.day.value && goToDay(shiftDay(el.day.value, -1)));
  el.nextDay.addEventListener("click", () => el.day.value && goToDay(shiftDay(el.day.value, 1)));
  el.today.addEventListener("click", () => goToDay(null));
  el.newCard.addEventListener("click", newCard);
  el.openAccount.addEventListener("click", () => account && openAccount(account));
  el.openPeople.addEventListener("click", () => account && openPeople(account));
  el.signOut.addEventListener("click", onSignOut);
  window.addEventListener("popstate", () => account && showDay());
  document.addEventListener("visibilitychange", () => !document.hidden && account && state.board && load());
  begin();
  setTimeout(refreshForever, refreshInterval());
}

start();

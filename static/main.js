// The page's wiring: who is signed in, loading and refreshing the board, and the board view, the
// moves, the day picker and the dialogs connected to the one board state kept here.
import { openAccount, setUpAccount } from "./account.js";
import { currentAccount, fetchBoard, fetchLimits, SessionEnded, signOut, whenSessionEnds } from "./api.js";
import { clearBoard, drawBoard, drawColumns, drawQueuedBoard, setUpBoardView, tickClocks } from "./boardview.js";
import { applyChange, touchedStatuses } from "./changes.js";
import { setUpDayPicker, showPickedDay } from "./daypicker.js";
import { closeAllDialogs } from "./dom.js";
import { boardRefreshed, detailsOpenFor, openDetails, setUpDetails } from "./details.js";
import { cancelDrag } from "./drag.js";
import { openHistory, setUpHistory } from "./history.js";
import { setUpMoves } from "./cardmoves.js";
import { openNewCard, setUpNewCard } from "./newcard.js";
import { dayFrom, refreshIntervalFrom, withDay } from "./pageurl.js";
import { closePeople, openPeople, setUpPeople } from "./people.js";
import { mayManagePeople, mayMove, SESSION_ENDED_MESSAGE, SIGNED_OUT_MESSAGE } from "./session.js";
import { hideSignIn, setUpSignIn, showSignIn } from "./signin.js";
import { followChanges } from "./live.js";
import { closeShopSettings, openShopSettings, setUpShopSettings } from "./shopsettings.js";
import { closeWebhooks, openWebhooks, setUpWebhooks } from "./webhooks.js";
import * as board from "./state.js";

const el = {
  sync: document.getElementById("sync"),
  live: document.getElementById("live-status"),
  openShop: document.getElementById("open-shop"),
  openWebhooks: document.getElementById("open-webhooks"),
  loading: document.getElementById("loading"),
  loadError: document.getElementById("load-error"),
  loadErrorMessage: document.getElementById("load-error-message"),
  retry: document.getElementById("retry"),
  columns: document.getElementById("columns"),
  dayPicker: document.getElementById("day-picker"),
  readOnly: document.getElementById("read-only"),
  identity: document.getElementById("identity"),
  shopName: document.getElementById("shop-name"),
  whoName: document.getElementById("who-name"),
  whoRole: document.getElementById("who-role"),
  newCard: document.getElementById("new-card"),
  openAccount: document.getElementById("open-account"),
  openPeople: document.getElementById("open-people"),
  signOut: document.getElementById("sign-out"),
};

let account = null; // { id, username, name, role, shop: { slug, name, timezone } } while signed in
let sessionCount = 0; // answers that arrive after their session ended are dropped
let signingOut = false;
let state = board.emptyState();
let etag = null;
let loadCount = 0; // only the newest load's answer is shown
let limits = null; // the shop's waiting limits, { STATUS: minutes | null }, once read
let live = false; // the change stream is open: no polling
let readWhileDown = false; // the board shown was read while the stream was not open
let stopFollowing = null;

// Seconds between two looks at the clocks on the cards: a minute's change shows within this.
const CLOCK_TICK_MS = 15_000;

function goToDay(day) {
  history.pushState(null, "", withDay(location.href, day));
  showDay();
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
  loadLimits();
  stopFollowing?.();
  stopFollowing = followChanges({ onChange: changeArrived, onReset: load, onUp: streamUp, onDown: streamDown });
}

let limitsCount = 0; // a read that began before a save must not undo it

async function loadLimits() {
  const mine = ++limitsCount;
  const known = await fetchLimits();
  if (known === null || !account || mine !== limitsCount) return;
  showLimits(known);
}

function showLimits(known) {
  limits = known;
  if (state.board) tickClocks();
}

// ---- live: the change stream, or the poll while it is down

function changeArrived(change) {
  const next = applyChange(state, change);
  if (next === state) return;
  const touched = touchedStatuses(state, next, change.card.id);
  state = next;
  drawColumns(touched);
  if (detailsOpenFor() === change.card.id) tellDetails();
}

function streamUp() {
  live = true;
  el.live.hidden = true;
  // What changed between a read made while the stream was down and its opening is in no event:
  // read once more. A stream that opens again after a read made live needs nothing.
  if (account && state.board && readWhileDown) load();
}

function streamDown() {
  live = false;
  if (!account) return;
  el.live.textContent = "Live updates: reconnecting…";
  el.live.hidden = false;
}

// Show who is signed in and what they may do; also after an admin changed their own account.
function showAccount(me) {
  account = me;
  el.whoName.textContent = me.name || me.username;
  el.whoRole.textContent = `(${me.role})`;
  // The shop whose board this is; the board's times are in its zone (the board's `timezone`).
  el.shopName.textContent = me.shop?.name ?? "";
  el.shopName.hidden = !me.shop;
  el.openPeople.hidden = !mayManagePeople(me);
  el.openShop.hidden = !mayManagePeople(me);
  el.openWebhooks.hidden = !mayManagePeople(me);
  if (!mayManagePeople(me)) {
    closePeople();
    closeShopSettings();
    closeWebhooks();
  }
  el.readOnly.hidden = mayMove(me);
  el.newCard.hidden = !mayMove(me);
  document.body.classList.toggle("read-only", !mayMove(me));
  if (state.board) drawBoard();
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
  // A refresh can hear 401 between the server ending the session and the sign-out's own answer.
  showSignedOut(signingOut ? SIGNED_OUT_MESSAGE : message);
}

function showSignedOut(message) {
  account = null;
  stopFollowing?.();
  stopFollowing = null;
  live = false;
  el.live.hidden = true;
  sessionCount += 1;
  loadCount += 1;
  cancelDrag();
  closeAllDialogs();
  state = board.emptyState();
  etag = null;
  clearBoard();
  for (const node of [el.columns, el.loading, el.loadError, el.readOnly, el.identity, el.shopName, el.dayPicker, el.newCard]) {
    node.hidden = true;
  }
  document.body.classList.remove("read-only");
  setSync("");
  showSignIn(message);
}

async function onSignOut() {
  el.signOut.disabled = true;
  signingOut = true;
  await signOut();
  signingOut = false;
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
  readWhileDown = !live;
  const mine = ++loadCount;
  const shown = state.board !== null;
  let result;
  try {
    result = await fetchBoard(dayFrom(location.search), shown ? etag : null);
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
  showPickedDay(state.board.from);
  el.loading.hidden = true;
  el.loadError.hidden = true;
  el.columns.hidden = false;
  drawBoard();
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
  // drawBoard() only queues the redraw for the drop. After a failed load this keeps trying too,
  // so an unattended screen recovers by itself once the server is back.
  if (!document.hidden && !el.loadError.hidden && !account) await begin();
  else if (!document.hidden && account && !live && (state.board !== null || !el.loadError.hidden)) await load();
  setTimeout(refreshForever, refreshIntervalFrom(location.search));
}

// ---- cards opened, saved or deleted here: on the board at once, then a refresh to catch up

function openCard(card) {
  openDetails(card, { timeZone: state.board.timezone, editable: mayMove(account), onSaved: cardSaved, onDeleted: cardDeleted });
}

function cardSaved(card) {
  if (!state.board) return;
  state = board.putCard(state, card, board.isOnBoardDays(state, card));
  drawBoard();
  load();
}

function cardDeleted(id) {
  state = board.removeCard(state, id);
  drawBoard();
  load();
}

function newCard() {
  if (!account || !state.board) return;
  openNewCard(state.board.from, state.board.timezone, cardSaved);
}

// ---- wiring

function start() {
  whenSessionEnds(() => endSession(SESSION_ENDED_MESSAGE));
  // The sign-in answers the account alone; /api/me adds its shop (the top bar shows its name).
  setUpSignIn(begin);
  setUpHistory();
  setUpDetails();
  setUpNewCard();
  setUpAccount();
  setUpPeople(refreshAccount);
  setUpBoardView(el.columns, {
    state: () => state,
    movable: () => mayMove(account),
    onOpen: openCard,
    onHistory: (card) => openHistory(card, state.board.timezone),
    limits: () => limits,
  });
  setUpMoves(el.columns, {
    state: () => state,
    show(next) {
      state = next;
      drawBoard();
    },
    mayMove: () => mayMove(account),
    session: () => sessionCount,
    refetch: load,
    recheckAccount: refreshAccount,
    dragEnded: drawQueuedBoard,
  });
  setUpDayPicker(goToDay);
  el.retry.addEventListener("click", () => (account ? showDay() : begin()));
  el.newCard.addEventListener("click", newCard);
  el.openAccount.addEventListener("click", () => account && openAccount(account));
  el.openPeople.addEventListener("click", () => account && openPeople(account));
  setUpShopSettings((saved) => {
    limitsCount += 1;
    showLimits(saved);
  });
  el.openShop.addEventListener("click", () => account && openShopSettings());
  setUpWebhooks();
  el.openWebhooks.addEventListener("click", () => account && openWebhooks());
  el.signOut.addEventListener("click", onSignOut);
  window.addEventListener("popstate", () => account && showDay());
  document.addEventListener("visibilitychange", () => !document.hidden && account && state.board && load());
  begin();
  setTimeout(refreshForever, refreshIntervalFrom(location.search));
  setInterval(() => account && state.board && tickClocks(), CLOCK_TICK_MS);
}

start();

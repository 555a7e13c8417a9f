// The wall display: the board read-only and live, every column on one screen, with each card's
// time in status and late mark, and nothing to click. Opened as /display#<code> it first pairs:
// the code leaves the address bar and the history at once, and is swapped for the display's cookie.
import { call, fetchBoard, fetchLimits, pairDisplay, SessionEnded, whenSessionEnds } from "./api.js";
import { applyChange } from "./changes.js";
import { byId, make } from "./dom.js";
import { statusLabel } from "./labels.js";
import { followChanges } from "./live.js";
import { refreshIntervalFrom } from "./pageurl.js";
import { boardFromResponse, columnsOf, emptyState, mergeBoard } from "./state.js";
import { isLate, timeInStatus } from "./waiting.js";

const SIGNED_OUT = "This display is signed out. Make a new display in the board's Shop settings and open its link here.";
const CLOCK_TICK_MS = 15_000;

const el = {
  title: byId("display-title"),
  status: byId("display-status"),
  message: byId("display-message"),
  columns: byId("display-columns"),
};

let state = emptyState();
let etag = null;
let limits = null;
let live = false;
let ended = false;
let stopFollowing = null;

function end(message) {
  ended = true;
  stopFollowing?.();
  state = emptyState();
  el.columns.replaceChildren();
  el.columns.hidden = true;
  el.status.textContent = "";
  el.message.textContent = message;
  el.message.hidden = false;
}

// The pairing code from the link, removed from the address bar and this history entry first.
async function pairFromLink() {
  const code = location.hash.slice(1);
  if (!code) return true;
  history.replaceState(null, "", location.pathname + location.search);
  const result = await pairDisplay(code);
  if (result.ok) return true;
  end(result.status === 401 ? result.error.message : `Pairing failed: ${result.error?.message ?? "the server could not be reached."}`);
  return false;
}

async function load() {
  if (ended) return;
  let result;
  try {
    result = await fetchBoard(null, state.board ? etag : null);
  } catch (error) {
    if (error instanceof SessionEnded) end(SIGNED_OUT);
    else el.status.textContent = `Could not refresh: ${error.message}`;
    return;
  }
  if (ended || result.unchanged) return;
  etag = result.etag;
  state = mergeBoard(state, boardFromResponse(result.data));
  draw();
}

function draw() {
  if (!state.board) return;
  const now = Date.now();
  const time = new Intl.DateTimeFormat(undefined, { timeZone: state.board.timezone, hour: "2-digit", minute: "2-digit" });
  el.columns.replaceChildren(
    ...columnsOf(state).map((column) => {
      const section = make("section", "column");
      section.dataset.status = column.status;
      section.append(make("h2", "column-title", `${statusLabel(column.status)} (${column.cards.length})`));
      const list = make("ol", "cards");
      for (const card of column.cards) {
        const late = isLate(card, limits, now);
        const item = make("li", late ? "card late" : "card");
        item.dataset.id = card.id;
        const waited = make("p", "waited", timeInStatus(card, now));
        if (late) waited.append(" ", make("strong", "late-mark", "Late"));
        item.append(
          make("p", "time", time.format(new Date(card.scheduled_at))),
          make("p", "title", card.title),
          // The server sends initials instead of names when the shop asks for them (a waiting room).
          make("p", "customer", card.customer),
          waited,
        );
        list.append(item);
      }
      section.append(list);
      return section;
    }),
  );
  el.message.hidden = true;
  el.columns.hidden = false;
}

async function pollWhileDown() {
  if (ended) return;
  if (!live && !document.hidden) await load();
  setTimeout(pollWhileDown, refreshIntervalFrom(location.search));
}

async function start() {
  whenSessionEnds(() => end(SIGNED_OUT));
  if (!(await pairFromLink())) return;
  const me = await call("GET", "/api/me", undefined, { signedIn: false });
  if (!me.ok) {
    end(me.status === 401 ? SIGNED_OUT : "The board could not be reached; reload this page.");
    return;
  }
  el.title.textContent = me.data.shop.name;
  limits = await fetchLimits();
  await load();
  stopFollowing = followChanges({
    onChange(change) {
      const next = applyChange(state, change);
      if (next === state) return;
      state = next;
      draw();
    },
    onReset: load,
    onUp() {
      live = true;
      el.status.textContent = "";
      load();
    },
    onDown() {
      live = false;
      if (!ended) el.status.textContent = "Reconnecting…";
    },
  });
  setTimeout(pollWhileDown, refreshIntervalFrom(location.search));
  setInterval(draw, CLOCK_TICK_MS);
}

start();

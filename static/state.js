// The board's state as plain data and pure functions: no DOM, no network, so Node can test it.
//
// A state is { board, pending }:
//   board:   { from, to, timezone, statuses: [status...], cards: [card...] }, cards by time then id
//   pending: { [id]: { status, previous } }: moves sent but not answered; `previous` is the
//            server's latest copy of the card, which a rollback puts back.
import { wallClock } from "./cardfields.js";

export function emptyState() {
  return { board: null, pending: {} };
}

function byTimeThenId(a, b) {
  return Date.parse(a.scheduled_at) - Date.parse(b.scheduled_at) || a.id - b.id;
}

// Flatten the API's columns into one list, so a moved card lands in its time slot.
export function boardFromResponse(data) {
  return {
    from: data.from,
    to: data.to,
    timezone: data.timezone,
    statuses: data.columns.map((column) => column.status),
    cards: data.columns.flatMap((column) => column.cards).sort(byTimeThenId),
  };
}

export function findCard(state, id) {
  return state.board?.cards.find((card) => card.id === id) ?? null;
}

export function isPending(state, id) {
  return Object.hasOwn(state.pending, id);
}

function replaceCard(board, id, replacement) {
  return { ...board, cards: board.cards.map((card) => (card.id === id ? replacement : card)) };
}

function withoutPending(pending, id) {
  const { [id]: _gone, ...rest } = pending;
  return rest;
}

// Move a card at once, before the server answers. Returns null when the move is not allowed:
// unknown card, a move of it already in flight, a status the board does not have, or no change.
export function applyMove(state, id, status) {
  const card = findCard(state, id);
  if (!card || isPending(state, id) || !state.board.statuses.includes(status) || card.status === status) {
    return null;
  }
  return {
    board: replaceCard(state.board, id, { ...card, status }),
    pending: { ...state.pending, [id]: { status, previous: card } },
  };
}

// The server took the move: keep the card where it is, with the server's copy (new version).
export function confirmMove(state, serverCard) {
  const id = serverCard.id;
  const board = findCard(state, id) ? replaceCard(state.board, id, serverCard) : state.board;
  return { board, pending: withoutPending(state.pending, id) };
}

// The server refused the move: put the card back as it was, or as `current` says it is now.
export function rollbackMove(state, id, current = null) {
  const move = state.pending[id];
  const restored = newer(current, move?.previous);
  const board = restored && findCard(state, id) ? replaceCard(state.board, id, restored) : state.board;
  return { board, pending: withoutPending(state.pending, id) };
}

function newer(a, b) {
  if (!a) return b ?? null;
  if (!b) return a;
  return a.version >= b.version ? a : b;
}

// Take a refetched board, keeping what we know better: a move in flight stays where the person
// put it (its rollback target becomes the fresh copy), and a card we hold at a higher version
// (a move answered after this fetch began) is not set back by the older response.
export function mergeBoard(state, fresh) {
  const known = new Map((state.board?.cards ?? []).map((card) => [card.id, card]));
  const pending = {};
  const cards = fresh.cards.map((freshCard) => {
    const move = state.pending[freshCard.id];
    const latest = newer(freshCard, known.get(freshCard.id));
    if (!move) return latest;
    pending[freshCard.id] = { ...move, previous: newer(latest, move.previous) };
    return { ...latest, status: move.status };
  });
  // A card in flight that left the fetched range stays pending so its answer is still handled.
  for (const [id, move] of Object.entries(state.pending)) {
    if (!Object.hasOwn(pending, id)) pending[id] = move;
  }
  return { board: { ...fresh, cards }, pending };
}

// The columns to draw: every status in order, its cards by time, each marked when saving.
export function columnsOf(state) {
  if (!state.board) return [];
  return state.board.statuses.map((status) => ({
    status,
    cards: state.board.cards
      .filter((card) => card.status === status)
      .map((card) => ({ ...card, saving: isPending(state, card.id) })),
  }));
}

// The status next to `status` in the board's order (offset -1 or +1), or null at either end.
export function neighbourStatus(statuses, status, offset) {
  const index = statuses.indexOf(status) + offset;
  return index >= 0 && index < statuses.length ? statuses[index] : null;
}

const MOVE_KEY = /^(ArrowLeft|ArrowRight|[1-9])$/;

// Keys that move a focused card: Left and Right to the next column, 1 to 9 to that column.
export function isMoveKey(key) {
  return MOVE_KEY.test(key);
}

// The status a move key asks for a card in `status`, or null when there is none (an end, or a
// number past the last column).
export function statusForKey(statuses, status, key) {
  if (key === "ArrowLeft") return neighbourStatus(statuses, status, -1);
  if (key === "ArrowRight") return neighbourStatus(statuses, status, 1);
  if (/^[1-9]$/.test(key)) return statuses[Number(key) - 1] ?? null;
  return null;
}

// Whether `card` falls on the days the board shows, on the board's clock.
export function isOnBoardDays(state, card) {
  const { date } = wallClock(card.scheduled_at, state.board.timezone);
  return date >= state.board.from && date <= state.board.to;
}

// A card saved here (created or edited): shown at once, in its time slot, at the newest version
// known. `onBoard` says whether it still belongs to the days shown; a card that left them goes.
export function putCard(state, card, onBoard = true) {
  if (!state.board) return state;
  if (!onBoard) return removeCard(state, card.id);
  const known = findCard(state, card.id);
  const kept = newer(card, known);
  const status = isPending(state, card.id) ? state.pending[card.id].status : kept.status;
  const others = state.board.cards.filter((other) => other.id !== card.id);
  return { ...state, board: { ...state.board, cards: [...others, { ...kept, status }].sort(byTimeThenId) } };
}

// A card deleted here: gone from the board.
export function removeCard(state, id) {
  if (!state.board) return state;
  return { board: { ...state.board, cards: state.board.cards.filter((card) => card.id !== id) }, pending: withoutPending(state.pending, id) };
}

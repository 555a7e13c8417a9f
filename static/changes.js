// The live stream's changes applied to the board state: pure, so Node can test it.
//
// A change is { seq, kind: "created" | "moved" | "edited" | "deleted", card, ... } as GET
// /api/events sends it; `card` is the card at that version ({ id, version, deleted } once deleted).
// A change no newer than the card we hold is ignored: our own answers and refetches arrive too.
import { findCard, isOnBoardDays, putCard, removeCard } from "./state.js";

// The change in an event's data, or null when it is not one.
export function parseChange(text) {
  let change;
  try {
    change = JSON.parse(text);
  } catch {
    return null;
  }
  const card = change?.card;
  if (!card || !Number.isInteger(card.id) || !Number.isInteger(card.version)) return null;
  if (!["created", "moved", "edited", "deleted"].includes(change.kind)) return null;
  return change;
}

// The state with `change` applied, or the very same state when it changes nothing there.
export function applyChange(state, change) {
  if (!state.board) return state;
  const card = change.card;
  const known = findCard(state, card.id);
  if (known && known.version >= card.version) return state;
  if (change.kind === "deleted" || card.deleted) return known ? removeCard(state, card.id) : state;
  const onBoard = isOnBoardDays(state, card);
  if (!known && !onBoard) return state;
  const next = putCard(state, card, onBoard);
  const move = next.pending[card.id];
  // A move of ours in flight: if it is refused, the card goes back to this newer copy.
  if (move && move.previous.version < card.version) {
    return { ...next, pending: { ...next.pending, [card.id]: { ...move, previous: card } } };
  }
  return next;
}

// The statuses whose columns a change between two states touched (to redraw those alone).
export function touchedStatuses(before, after, id) {
  const statuses = new Set();
  for (const state of [before, after]) {
    const card = findCard(state, id);
    if (card) statuses.add(card.status);
  }
  return [...statuses];
}

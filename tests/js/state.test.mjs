// Unit tests for the page's pure board state: node --test tests/js/
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  applyMove,
  boardFromResponse,
  columnsOf,
  confirmMove,
  emptyState,
  isPending,
  mergeBoard,
  neighbourStatus,
  rollbackMove,
} from "../../static/state.js";

const STATUSES = ["SCHEDULED", "CHECKED_IN", "IN_PROGRESS", "READY", "COMPLETED", "CANCELLED"];

function card(id, status, version = 1, hour = 9) {
  return {
    id,
    title: `Card ${id}`,
    customer: "Ada",
    scheduled_at: `2026-03-10T${String(hour).padStart(2, "0")}:00:00+00:00`,
    status,
    version,
    updated_at: "2026-03-10T08:00:00+00:00",
  };
}

function response(...cards) {
  return {
    from: "2026-03-10",
    to: "2026-03-10",
    timezone: "UTC",
    columns: STATUSES.map((status) => ({ status, cards: cards.filter((c) => c.status === status) })),
  };
}

function stateOf(...cards) {
  return mergeBoard(emptyState(), boardFromResponse(response(...cards)));
}

function where(state) {
  return Object.fromEntries(
    columnsOf(state).flatMap((column) => column.cards.map((c) => [c.id, [column.status, c.version, c.saving]])),
  );
}

test("boardFromResponse orders cards by time then id across columns", () => {
  const board = boardFromResponse(response(card(3, "READY", 1, 8), card(1, "SCHEDULED", 1, 9), card(2, "SCHEDULED", 1, 8)));

  assert.deepEqual(board.cards.map((c) => c.id), [2, 3, 1]);
  assert.deepEqual(board.statuses, STATUSES);
  assert.equal(board.timezone, "UTC");
});

test("applyMove moves the card at once and marks it saving; the original is untouched", () => {
  const before = stateOf(card(1, "SCHEDULED"), card(2, "SCHEDULED"));

  const after = applyMove(before, 1, "READY");

  assert.deepEqual(where(after), { 1: ["READY", 1, true], 2: ["SCHEDULED", 1, false] });
  assert.deepEqual(where(before), { 1: ["SCHEDULED", 1, false], 2: ["SCHEDULED", 1, false] });
});

test("applyMove refuses a second move of a card in flight but not of another card", () => {
  const moving = applyMove(stateOf(card(1, "SCHEDULED"), card(2, "SCHEDULED")), 1, "READY");

  assert.equal(applyMove(moving, 1, "COMPLETED"), null);
  assert.deepEqual(where(applyMove(moving, 2, "CANCELLED"))[2], ["CANCELLED", 1, true]);
});

test("applyMove refuses unknown cards, unknown statuses and no-op moves", () => {
  const state = stateOf(card(1, "SCHEDULED"));

  assert.equal(applyMove(state, 99, "READY"), null);
  assert.equal(applyMove(state, 1, "LOST"), null);
  assert.equal(applyMove(state, 1, "SCHEDULED"), null);
  assert.equal(applyMove(emptyState(), 1, "READY"), null);
});

test("confirmMove keeps the place and takes the server's new version", () => {
  const moving = applyMove(stateOf(card(1, "SCHEDULED")), 1, "READY");

  const done = confirmMove(moving, card(1, "READY", 2));

  assert.deepEqual(where(done), { 1: ["READY", 2, false] });
  assert.equal(isPending(done, 1), false);
});

test("rollbackMove puts the card back as it was", () => {
  const moving = applyMove(stateOf(card(1, "CHECKED_IN", 4)), 1, "READY");

  assert.deepEqual(where(rollbackMove(moving, 1)), { 1: ["CHECKED_IN", 4, false] });
});

test("rollbackMove with the server's current card shows where someone else put it", () => {
  const moving = applyMove(stateOf(card(1, "SCHEDULED")), 1, "READY");

  const rolledBack = rollbackMove(moving, 1, card(1, "CANCELLED", 2));

  assert.deepEqual(where(rolledBack), { 1: ["CANCELLED", 2, false] });
  assert.deepEqual(where(applyMove(rolledBack, 1, "READY")), { 1: ["READY", 2, true] });
});

test("mergeBoard keeps a move in flight where the person put it, and rolls back to the fresh copy", () => {
  const moving = applyMove(stateOf(card(1, "SCHEDULED"), card(2, "SCHEDULED")), 1, "READY");
  // Meanwhile someone else moved card 1 and card 2.
  const fresh = boardFromResponse(response(card(1, "CHECKED_IN", 2), card(2, "COMPLETED", 2)));

  const merged = mergeBoard(moving, fresh);

  assert.deepEqual(where(merged), { 1: ["READY", 2, true], 2: ["COMPLETED", 2, false] });
  assert.deepEqual(where(rollbackMove(merged, 1))[1], ["CHECKED_IN", 2, false]);
});

test("mergeBoard does not set back a card answered after the fetch began", () => {
  const moving = applyMove(stateOf(card(1, "SCHEDULED")), 1, "READY");
  const confirmed = confirmMove(moving, card(1, "READY", 2));
  const olderFetch = boardFromResponse(response(card(1, "SCHEDULED", 1)));

  assert.deepEqual(where(mergeBoard(confirmed, olderFetch)), { 1: ["READY", 2, false] });
});

test("mergeBoard drops cards that left the range and adds new ones", () => {
  const state = stateOf(card(1, "SCHEDULED"), card(2, "READY"));

  const merged = mergeBoard(state, boardFromResponse(response(card(2, "READY"), card(3, "SCHEDULED", 1, 7))));

  assert.deepEqual(Object.keys(where(merged)), ["2", "3"]);
  assert.deepEqual(merged.board.cards.map((c) => c.id), [3, 2]);
});

test("mergeBoard keeps the pending entry of a card in flight that left the range", () => {
  const moving = applyMove(stateOf(card(1, "SCHEDULED")), 1, "READY");

  const merged = mergeBoard(moving, boardFromResponse(response()));

  assert.equal(isPending(merged, 1), true);
  assert.equal(isPending(confirmMove(merged, card(1, "READY", 2)), 1), false);
  assert.deepEqual(where(confirmMove(merged, card(1, "READY", 2))), {});
});

test("columnsOf lists every status in order with counts by length", () => {
  const columns = columnsOf(stateOf(card(1, "READY"), card(2, "READY", 1, 10)));

  assert.deepEqual(columns.map((c) => [c.status, c.cards.length]), [
    ["SCHEDULED", 0], ["CHECKED_IN", 0], ["IN_PROGRESS", 0], ["READY", 2], ["COMPLETED", 0], ["CANCELLED", 0],
  ]);
  assert.deepEqual(columnsOf(emptyState()), []);
});

test("neighbourStatus steps left and right and stops at the ends", () => {
  assert.equal(neighbourStatus(STATUSES, "READY", -1), "IN_PROGRESS");
  assert.equal(neighbourStatus(STATUSES, "READY", 1), "COMPLETED");
  assert.equal(neighbourStatus(STATUSES, "SCHEDULED", -1), null);
  assert.equal(neighbourStatus(STATUSES, "CANCELLED", 1), null);
});

test("putCard shows a new or edited card at once, in its time slot, never setting a card back", async () => {
  const { putCard, removeCard, emptyState } = await import("../../static/state.js");
  const at = (h) => `2026-03-10T${String(h).padStart(2, "0")}:00:00+00:00`;
  const a = { id: 1, version: 2, status: "SCHEDULED", title: "A", scheduled_at: at(9) };
  const b = { id: 2, version: 1, status: "SCHEDULED", title: "B", scheduled_at: at(11) };
  const state = { board: { statuses: ["SCHEDULED", "READY"], cards: [a, b] }, pending: {} };

  const added = putCard(state, { id: 3, version: 1, status: "SCHEDULED", title: "C", scheduled_at: at(10) });
  assert.deepEqual(added.board.cards.map((card) => card.id), [1, 3, 2]);
  const rescheduled = putCard(state, { ...a, version: 3, scheduled_at: at(12) });
  assert.deepEqual(rescheduled.board.cards.map((card) => [card.id, card.version]), [[2, 1], [1, 3]]);
  assert.equal(putCard(state, { ...a, version: 1, title: "old" }).board.cards[0].title, "A");
  assert.deepEqual(putCard(state, a, false).board.cards.map((card) => card.id), [2]);
  assert.deepEqual(removeCard(state, 2).board.cards.map((card) => card.id), [1]);
  assert.equal(putCard(emptyState(), a).board, null);
});

test("move keys: Left and Right step to the next column, 1 to 9 pick a column, past the ends nothing", async () => {
  const { isMoveKey, statusForKey } = await import("../../static/state.js");
  for (const key of ["ArrowLeft", "ArrowRight", "1", "6", "9"]) assert.equal(isMoveKey(key), true, key);
  for (const key of ["Enter", "ArrowUp", "0", "10", "a", " "]) assert.equal(isMoveKey(key), false, key);
  assert.equal(statusForKey(STATUSES, "READY", "ArrowLeft"), "IN_PROGRESS");
  assert.equal(statusForKey(STATUSES, "READY", "ArrowRight"), "COMPLETED");
  assert.equal(statusForKey(STATUSES, "SCHEDULED", "ArrowLeft"), null);
  assert.equal(statusForKey(STATUSES, "CANCELLED", "ArrowRight"), null);
  assert.equal(statusForKey(STATUSES, "SCHEDULED", "4"), "READY");
  assert.equal(statusForKey(STATUSES, "SCHEDULED", "7"), null);
});

test("a card is on the board's days by the board's clock, not by UTC", async () => {
  const { isOnBoardDays } = await import("../../static/state.js");
  const state = { board: { from: "2026-03-10", to: "2026-03-11", timezone: "America/New_York", statuses: STATUSES, cards: [] }, pending: {} };
  assert.equal(isOnBoardDays(state, { scheduled_at: "2026-03-10T09:00:00-04:00" }), true);
  assert.equal(isOnBoardDays(state, { scheduled_at: "2026-03-12T02:00:00+00:00" }), true); // 22:00 on the 11th in New York
  assert.equal(isOnBoardDays(state, { scheduled_at: "2026-03-10T03:00:00+00:00" }), false); // 23:00 on the 9th
  assert.equal(isOnBoardDays(state, { scheduled_at: "2026-03-12T09:00:00-04:00" }), false);
});

// Unit tests for applying the live stream's changes to the board state: node --test tests/js/
import assert from "node:assert/strict";
import { test } from "node:test";

import { applyChange, parseChange, touchedStatuses } from "../../static/changes.js";
import { applyMove, boardFromResponse, emptyState, findCard, mergeBoard, rollbackMove } from "../../static/state.js";

const STATUSES = ["SCHEDULED", "CHECKED_IN", "IN_PROGRESS", "READY", "COMPLETED", "CANCELLED"];

function card(id, status, version = 1, hour = 9, day = "2026-03-09") {
  return {
    id, status, version, title: `Card ${id}`, customer: "Ada",
    scheduled_at: `${day}T${String(hour).padStart(2, "0")}:00:00Z`, updated_at: "2026-03-09T08:00:00Z", notes: "",
  };
}

function stateWith(...cards) {
  const data = {
    from: "2026-03-09", to: "2026-03-09", timezone: "UTC",
    columns: STATUSES.map((status) => ({ status, cards: cards.filter((c) => c.status === status) })),
  };
  return mergeBoard(emptyState(), boardFromResponse(data));
}

test("a move from elsewhere moves the card to its new version", () => {
  const state = stateWith(card(1, "SCHEDULED"), card(2, "SCHEDULED", 1, 10));
  const next = applyChange(state, { kind: "moved", card: card(1, "READY", 2), from_status: "SCHEDULED", to_status: "READY" });
  assert.deepEqual(findCard(next, 1), card(1, "READY", 2));
  assert.equal(findCard(next, 2), findCard(state, 2));
});

test("a change no newer than the card held is ignored, the same state returned", () => {
  const state = stateWith(card(1, "READY", 3));
  assert.equal(applyChange(state, { kind: "moved", card: card(1, "SCHEDULED", 3) }), state);
  assert.equal(applyChange(state, { kind: "edited", card: card(1, "SCHEDULED", 2) }), state);
  assert.equal(applyChange(state, { kind: "deleted", card: { id: 1, version: 3, deleted: true } }), state);
});

test("a created card on the days shown appears in its time slot; one on another day does not", () => {
  const state = stateWith(card(1, "SCHEDULED", 1, 9), card(3, "SCHEDULED", 1, 11));
  const next = applyChange(state, { kind: "created", card: card(2, "SCHEDULED", 1, 10) });
  const elsewhere = applyChange(state, { kind: "created", card: card(4, "SCHEDULED", 1, 10, "2026-03-10") });
  assert.deepEqual(next.board.cards.map((c) => c.id), [1, 2, 3]);
  assert.equal(elsewhere, state);
});

test("an edit that moves a card to another day takes it off the board", () => {
  const state = stateWith(card(1, "SCHEDULED"));
  const next = applyChange(state, { kind: "edited", card: card(1, "SCHEDULED", 2, 9, "2026-03-12") });
  assert.equal(findCard(next, 1), null);
});

test("a deleted card leaves the board; an unknown one changes nothing", () => {
  const state = stateWith(card(1, "SCHEDULED"));
  assert.equal(findCard(applyChange(state, { kind: "deleted", card: { id: 1, version: 2, deleted: true } }), 1), null);
  assert.equal(applyChange(state, { kind: "deleted", card: { id: 9, version: 2, deleted: true } }), state);
});

test("a move of ours in flight stays where we put it, and a refusal goes back to the newer copy", () => {
  const moving = applyMove(stateWith(card(1, "SCHEDULED")), 1, "READY");
  const theirs = card(1, "CHECKED_IN", 2);
  const next = applyChange(moving, { kind: "moved", card: theirs });
  assert.equal(findCard(next, 1).status, "READY");
  assert.deepEqual(findCard(rollbackMove(next, 1), 1), theirs);
});

test("parseChange takes the stream's data and refuses what is not a change", () => {
  const change = { seq: 7, kind: "moved", at: "2026-03-09T09:00:00Z", by: null, card: card(1, "READY", 2) };
  assert.deepEqual(parseChange(JSON.stringify(change)), change);
  assert.equal(parseChange("not json"), null);
  assert.equal(parseChange(JSON.stringify({ kind: "moved" })), null);
  assert.equal(parseChange(JSON.stringify({ kind: "renamed", card: card(1, "READY") })), null);
});

test("touchedStatuses names the columns a change left and entered", () => {
  const before = stateWith(card(1, "SCHEDULED"));
  const after = applyChange(before, { kind: "moved", card: card(1, "READY", 2) });
  assert.deepEqual(touchedStatuses(before, after, 1).sort(), ["READY", "SCHEDULED"]);
});

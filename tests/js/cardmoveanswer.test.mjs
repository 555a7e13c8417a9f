// Unit tests for what a move's answer means for the board and the person: node --test tests/js/*.test.mjs
import assert from "node:assert/strict";
import { test } from "node:test";

import { afterMove, movingMessage, resendsAfterConflict, stillSavingMessage } from "../../static/cardmoveanswer.js";
import { applyMove, findCard, isPending } from "../../static/state.js";

const STATUSES = ["SCHEDULED", "CHECKED_IN", "IN_PROGRESS", "READY", "COMPLETED", "CANCELLED"];
const card = { id: 7, title: "Oil change", customer: "Ada", status: "SCHEDULED", version: 3, scheduled_at: "2026-03-10T09:00:00+00:00" };

// The board right after the person moved the card to CHECKED_IN, before the answer.
function inFlight() {
  const state = { board: { from: "2026-03-10", to: "2026-03-10", timezone: "UTC", statuses: STATUSES, cards: [card] }, pending: {} };
  return applyMove(state, card.id, "CHECKED_IN");
}

test("a 409 is sent once more only when the card is still where the person saw it", () => {
  assert.equal(resendsAfterConflict(card, { outcome: "conflict", current: { ...card, version: 4, notes: "x" } }), true);
  assert.equal(resendsAfterConflict(card, { outcome: "conflict", current: { ...card, version: 4, status: "READY" } }), false);
  assert.equal(resendsAfterConflict(card, { outcome: "conflict", current: null }), false);
  assert.equal(resendsAfterConflict(card, { outcome: "failed", message: "No." }), false);
});

test("a move taken keeps the card where it was put, at the server's version, and says so", () => {
  const answer = afterMove(inFlight(), card, { outcome: "moved", card: { ...card, status: "CHECKED_IN", version: 4 } });
  assert.deepEqual(findCard(answer.state, 7), { ...card, status: "CHECKED_IN", version: 4 });
  assert.equal(isPending(answer.state, 7), false);
  assert.equal(answer.announce, "Oil change moved to Checked in.");
  assert.equal(answer.toast, undefined);
});

test("a 409 shows the card where someone else put it, tells the person and refetches the board", () => {
  const current = { ...card, status: "READY", version: 5 };
  const answer = afterMove(inFlight(), card, { outcome: "conflict", current });
  assert.deepEqual(findCard(answer.state, 7), current);
  assert.equal(isPending(answer.state, 7), false);
  assert.deepEqual(answer.toast, { text: "Someone else changed this card; the board was refreshed. It is now in Ready.", kind: "conflict" });
  assert.equal(answer.refetch, true);
  const unknown = afterMove(inFlight(), card, { outcome: "conflict", current: null });
  assert.deepEqual(findCard(unknown.state, 7), card);
  assert.equal(unknown.toast.text, "Someone else changed this card; the board was refreshed.");
});

test("a 403 puts the card back and asks who is signed in again; any other failure puts it back and offers a retry", () => {
  const refused = afterMove(inFlight(), card, { outcome: "failed", message: "Staff only.", forbidden: true });
  assert.deepEqual(findCard(refused.state, 7), card);
  assert.deepEqual(refused.toast, { text: "Moving Oil change was refused, so it is back in Scheduled. Staff only.", kind: "failure" });
  assert.equal(refused.recheckAccount, true);
  assert.equal(refused.refetch, undefined);

  const failed = afterMove(inFlight(), card, { outcome: "failed", message: "The server could not be reached." });
  assert.deepEqual(findCard(failed.state, 7), card);
  assert.equal(isPending(failed.state, 7), false);
  assert.deepEqual(failed.toast, {
    text: "Moving Oil change failed, so it is back in Scheduled. The server could not be reached. You can retry.",
    kind: "failure",
  });
  assert.equal(failed.recheckAccount, undefined);
});

test("what the person hears while a move is sent, and when a card is still being saved", () => {
  assert.equal(movingMessage(card, "IN_PROGRESS"), "Moving Oil change to In progress…");
  assert.equal(stillSavingMessage("Oil change"), "Oil change is still being saved; move it again once it is done.");
});

// Unit tests for how the page names statuses, people and tokens: node --test tests/js/*.test.mjs
import assert from "node:assert/strict";
import { test } from "node:test";

import { byLabel, cardLabel, cardsCount, eventSentence, eventTime, statusLabel, tokenState } from "../../static/labels.js";

test("statuses read as words", () => {
  assert.equal(statusLabel("CHECKED_IN"), "Checked in");
  assert.equal(statusLabel("READY"), "Ready");
});

test("a history item says who moved the card, and through which token", () => {
  assert.equal(byLabel({ username: "ada", name: "Ada Lovelace", token: null }), "by Ada Lovelace");
  assert.equal(byLabel({ username: "cron", name: "", token: "nightly" }), "by cron with the token “nightly”");
  assert.equal(byLabel(null), "by someone before sign-in existed");
});

test("a history item from before event kinds is a move with moved_at, and an unknown kind reads as its name", () => {
  const clock = { when: (iso) => iso.slice(11, 16) };
  const old = { from_status: "READY", to_status: "COMPLETED", moved_at: "2026-03-10T09:00:00+00:00", by: null };

  assert.equal(eventSentence(old, clock), "Moved from Ready to Completed by someone before sign-in existed, 09:00");
  assert.equal(eventTime(old), "2026-03-10T09:00:00+00:00");
  assert.equal(eventSentence({ kind: "archived", by: null }, clock), "Archived by someone before sign-in existed");
});

test("a token is active until it is revoked or expires", () => {
  const now = new Date("2026-03-10T12:00:00Z");

  assert.equal(tokenState({ revoked_at: null, expires_at: null }, now), "Active");
  assert.equal(tokenState({ revoked_at: null, expires_at: "2026-03-11T00:00:00Z" }, now), "Active");
  assert.equal(tokenState({ revoked_at: null, expires_at: "2026-03-10T11:59:59Z" }, now), "Expired");
  assert.equal(tokenState({ revoked_at: "2026-03-09T08:00:00Z", expires_at: null }, now), "Revoked");
});

test("history items read as sentences with who and when", () => {
  const time = (iso) => new Date(iso).toISOString().slice(11, 16);
  const clock = { when: time, time, day: (iso) => new Date(iso).toISOString().slice(0, 10),
    full: (iso) => new Date(iso).toISOString().slice(0, 16).replace("T", " ") };
  const ana = { username: "ana", name: "Ana", token: null };
  const sam = { username: "sam", name: "Sam", token: null };

  assert.equal(eventSentence({ kind: "moved", from_status: "CHECKED_IN", to_status: "IN_PROGRESS", by: ana,
    at: "2026-03-10T10:42:00+00:00" }, clock), "Moved from Checked in to In progress by Ana, 10:42");
  assert.equal(eventSentence({ kind: "edited", changes: { customer: { from: "Jon", to: "John" } }, by: sam,
    at: "2026-03-10T10:44:00+00:00" }, clock), "Customer changed from Jon to John by Sam, 10:44");
  assert.equal(eventSentence({ kind: "edited", by: sam, at: "2026-03-10T10:45:00+00:00", changes: {
    scheduled_at: { from: "2026-03-10T09:00:00+00:00", to: "2026-03-10T11:30:00+00:00" }, notes: { from: "", to: "Key under the mat" },
  } }, clock), "Time changed from 09:00 to 11:30 and Note added: “Key under the mat” by Sam, 10:45");
  assert.equal(eventSentence({ kind: "edited", by: sam, at: "2026-03-10T10:46:00+00:00", changes: {
    scheduled_at: { from: "2026-03-10T09:00:00+00:00", to: "2026-03-11T08:00:00+00:00" },
  } }, clock), "Time changed from 2026-03-10 09:00 to 2026-03-11 08:00 by Sam, 10:46");
  assert.equal(eventSentence({ kind: "created", by: null, at: "2026-03-10T08:00:00+00:00" }, clock),
    "Created by someone before sign-in existed, 08:00");
  assert.equal(eventSentence({ kind: "deleted", by: ana, at: "2026-03-10T12:00:00+00:00" }, clock), "Deleted by Ana, 12:00");
});

test("a column counts its cards in words, and a card reads as its time, title and customer, and a move being saved", () => {
  assert.equal(cardsCount(0), "0 cards");
  assert.equal(cardsCount(1), "1 card");
  assert.equal(cardsCount(2), "2 cards");
  const card = { title: "Oil change", customer: "Ada", status: "READY", saving: false };
  assert.equal(cardLabel(card, "09:30"), "09:30 Oil change, Ada");
  assert.equal(cardLabel({ ...card, saving: true }, "09:30"), "09:30 Oil change, Ada, saving the move to Ready");
});

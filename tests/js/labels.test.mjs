// Unit tests for how the page names statuses, people and tokens: node --test tests/js/*.test.mjs
import assert from "node:assert/strict";
import { test } from "node:test";

import { byLabel, eventLabel, eventTime, statusLabel, tokenState } from "../../static/labels.js";

test("statuses read as words", () => {
  assert.equal(statusLabel("CHECKED_IN"), "Checked in");
  assert.equal(statusLabel("READY"), "Ready");
});

test("a history item says who moved the card, and through which token", () => {
  assert.equal(byLabel({ username: "ada", name: "Ada Lovelace", token: null }), "by Ada Lovelace");
  assert.equal(byLabel({ username: "cron", name: "", token: "nightly" }), "by cron with the token “nightly”");
  assert.equal(byLabel(null), "by someone before sign-in existed");
});

test("each kind of history event reads as what it did", () => {
  const moved = { kind: "moved", from_status: "SCHEDULED", to_status: "IN_PROGRESS", at: "2026-03-10T09:00:00+00:00" };

  assert.equal(eventLabel(moved), "Scheduled → In progress");
  assert.equal(eventLabel({ kind: "created" }), "Created");
  assert.equal(eventLabel({ kind: "deleted" }), "Deleted");
  assert.equal(eventLabel({ kind: "edited", changes: { title: {}, scheduled_at: {} } }), "Edited the title and time");
  assert.equal(eventLabel({ kind: "edited", changes: { title: {}, customer: {}, scheduled_at: {} } }),
    "Edited the title, customer and time");
  assert.equal(eventLabel({ kind: "archived" }), "Archived");
  assert.equal(eventTime(moved), "2026-03-10T09:00:00+00:00");
});

test("a history item from before event kinds is a move with moved_at", () => {
  const old = { from_status: "READY", to_status: "COMPLETED", moved_at: "2026-03-10T09:00:00+00:00" };

  assert.equal(eventLabel(old), "Ready → Completed");
  assert.equal(eventTime(old), "2026-03-10T09:00:00+00:00");
});

test("a token is active until it is revoked or expires", () => {
  const now = new Date("2026-03-10T12:00:00Z");

  assert.equal(tokenState({ revoked_at: null, expires_at: null }, now), "Active");
  assert.equal(tokenState({ revoked_at: null, expires_at: "2026-03-11T00:00:00Z" }, now), "Active");
  assert.equal(tokenState({ revoked_at: null, expires_at: "2026-03-10T11:59:59Z" }, now), "Expired");
  assert.equal(tokenState({ revoked_at: "2026-03-09T08:00:00Z", expires_at: null }, now), "Revoked");
});

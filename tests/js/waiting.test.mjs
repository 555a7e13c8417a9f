// Unit tests for time in status and lateness: node --test tests/js/
import assert from "node:assert/strict";
import { test } from "node:test";

import { durationText, isLate, timeInStatus, waitingSince } from "../../static/waiting.js";

const AT = Date.parse("2026-12-01T09:00:00Z");
const MIN = 60_000;

test("durations read in whole minutes, hours and days", () => {
  assert.equal(durationText(0), "under a minute");
  assert.equal(durationText(59_999), "under a minute");
  assert.equal(durationText(MIN), "1 min");
  assert.equal(durationText(59 * MIN + 59_000), "59 min");
  assert.equal(durationText(60 * MIN), "1 h");
  assert.equal(durationText(80 * MIN), "1 h 20 min");
  assert.equal(durationText(24 * 60 * MIN), "1 d");
  assert.equal(durationText(27 * 60 * MIN + 5 * MIN), "1 d 3 h");
  assert.equal(durationText(-5 * MIN), "under a minute"); // a clock a little behind the server's
});

test("time in status counts from status_since, else updated_at", () => {
  const card = { status: "READY", status_since: "2026-12-01T09:00:00Z", updated_at: "2026-12-01T10:00:00Z" };
  assert.equal(timeInStatus(card, AT + 80 * MIN), "Ready for 1 h 20 min");
  assert.equal(waitingSince({ updated_at: "2026-12-01T10:00:00Z" }), "2026-12-01T10:00:00Z");
  assert.equal(timeInStatus({ status: "CHECKED_IN", updated_at: "2026-12-01T09:00:00Z" }, AT + 5 * MIN), "Checked in for 5 min");
});

test("a card is late once it has waited its status's limit", () => {
  const card = { status: "CHECKED_IN", status_since: "2026-12-01T09:00:00Z" };
  const limits = { CHECKED_IN: 30, READY: null };
  assert.equal(isLate(card, limits, AT + 29 * MIN), false);
  assert.equal(isLate(card, limits, AT + 30 * MIN), true);
  assert.equal(isLate({ ...card, status: "READY" }, limits, AT + 999 * MIN), false);
  assert.equal(isLate({ ...card, status: "SCHEDULED" }, limits, AT + 999 * MIN), false);
});

test("without limits known, the board's own late flag is used", () => {
  assert.equal(isLate({ status: "READY", late: true }, null, AT), true);
  assert.equal(isLate({ status: "READY" }, null, AT), false);
});

// Unit tests for the three-way edit merge and the card fields: node --test tests/js/*.test.mjs
import assert from "node:assert/strict";
import { test } from "node:test";

import { instantAt, sameValue, validateCard, wallClock } from "../../static/cardfields.js";
import { changedFields, keepMine, mergedMessage, patchFor, threeWay, useTheirs } from "../../static/merge.js";

const base = {
  id: 7, version: 3, status: "SCHEDULED", title: "Oil change", customer: "Jon",
  scheduled_at: "2026-03-10T09:00:00+00:00", notes: "",
};

test("a save sends only the fields I changed, at the version I opened", () => {
  const mine = { ...base, notes: "Bring the key", scheduled_at: "2026-03-10T10:00:00+01:00" };

  assert.deepEqual(changedFields(base, mine), ["notes"]);
  assert.deepEqual(patchFor(base, mine), { version: 3, notes: "Bring the key" });
  assert.equal(patchFor(base, { ...base }), null);
});

test("their change to another field merges: my fields go on top of theirs at their version", () => {
  const mine = { ...base, notes: "Bring the key" };
  const theirs = { ...base, version: 4, scheduled_at: "2026-03-10T11:00:00+00:00" };

  const result = threeWay(base, mine, theirs);

  assert.equal(result.outcome, "merged");
  assert.deepEqual(result.patch, { version: 4, notes: "Bring the key" });
  assert.deepEqual(result.theirsChanged, ["scheduled_at"]);
  assert.deepEqual(result.mineChanged, ["notes"]);
});

test("a move made meanwhile is their change too, and never a clash", () => {
  const mine = { ...base, title: "Oil and filter" };
  const theirs = { ...base, version: 4, status: "READY" };

  const result = threeWay(base, mine, theirs);

  assert.equal(result.outcome, "merged");
  assert.deepEqual(result.theirsChanged, ["status"]);
  assert.deepEqual(result.patch, { version: 4, title: "Oil and filter" });
});

test("both changing one field to different values is a clash showing both values", () => {
  const mine = { ...base, customer: "John", notes: "Call first" };
  const theirs = { ...base, version: 5, customer: "Johan", title: "Brakes" };

  const result = threeWay(base, mine, theirs);

  assert.equal(result.outcome, "clash");
  assert.deepEqual(result.clashes, [{ field: "customer", theirs: "Johan", mine: "John" }]);
  assert.deepEqual(keepMine(base, mine, theirs), { version: 5, customer: "John", notes: "Call first" });
  const dropped = useTheirs(base, mine, theirs, result.clashes);
  assert.equal(dropped.mine.customer, "Johan");
  assert.deepEqual(dropped.patch, { version: 5, notes: "Call first" });
});

test("both making the same change is no clash and leaves nothing to send", () => {
  const mine = { ...base, customer: "John" };
  const theirs = { ...base, version: 4, customer: "John" };

  const result = threeWay(base, mine, theirs);

  assert.equal(result.outcome, "merged");
  assert.equal(result.patch, null);
  assert.equal(useTheirs(base, mine, theirs, []).patch, null);
});

test("the merge says who changed what and what of mine was saved", () => {
  assert.equal(mergedMessage("Sam", ["scheduled_at"], ["notes"]), "Sam changed the time meanwhile; your note was saved too");
  assert.equal(mergedMessage(null, ["title", "status"], ["customer", "notes"]),
    "Someone changed the title and status meanwhile; your customer and note were saved too");
  assert.equal(mergedMessage("Ana", [], ["title"]), "Ana saved this card meanwhile; your title was saved too");
});

test("times compare as instants and convert to and from the board's clock with its offset", () => {
  assert.ok(sameValue("scheduled_at", "2026-03-10T09:00:00+00:00", "2026-03-10T10:00:00+01:00"));
  assert.ok(!sameValue("title", "a", "b"));
  assert.equal(instantAt("2026-03-10", "09:30", "UTC"), "2026-03-10T09:30:00+00:00");
  assert.equal(instantAt("2026-07-10", "09:30", "Europe/Berlin"), "2026-07-10T09:30:00+02:00");
  assert.equal(instantAt("2026-01-10", "09:30", "America/New_York"), "2026-01-10T09:30:00-05:00");
  assert.equal(instantAt("2026-03-29", "03:30", "Europe/Berlin"), "2026-03-29T03:30:00+02:00");
  assert.equal(instantAt("2026-03-10", "", "UTC"), null);
  assert.deepEqual(wallClock("2026-03-09T23:30:00+00:00", "Asia/Tokyo"), { date: "2026-03-10", time: "08:30" });
});

test("a card is checked the way the API checks it", () => {
  const good = { title: " Oil ", customer: "Jon", scheduled_at: "2026-03-10T09:00:00+00:00", notes: "" };

  assert.deepEqual(validateCard(good), {});
  assert.deepEqual(validateCard({ ...good, title: "  ", scheduled_at: null, notes: "x".repeat(2001) }), {
    title: "Must not be empty.", scheduled_at: "Enter a date and a time.", notes: "Must be at most 2000 characters.",
  });
  assert.deepEqual(validateCard({ ...good, customer: "c".repeat(201) }), { customer: "Must be at most 200 characters." });
});

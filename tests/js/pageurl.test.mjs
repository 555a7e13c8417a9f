// Unit tests for what the page's address asks for: node --test tests/js/*.test.mjs
import assert from "node:assert/strict";
import { test } from "node:test";

import { DEFAULT_REFRESH_MS, dayFrom, refreshIntervalFrom, shiftDay, withDay } from "../../static/pageurl.js";

test("the day comes from ?date= when it is a YYYY-MM-DD day, else it is today (null)", () => {
  assert.equal(dayFrom("?date=2026-03-10"), "2026-03-10");
  assert.equal(dayFrom("?refresh=500&date=2026-03-10"), "2026-03-10");
  assert.equal(dayFrom(""), null);
  assert.equal(dayFrom("?date="), null);
  assert.equal(dayFrom("?date=10.03.2026"), null);
  assert.equal(dayFrom("?date=2026-03-10T09:00"), null);
});

test("the refresh interval comes from ?refresh= when it is at least 100 ms, else the default", () => {
  assert.equal(refreshIntervalFrom("?refresh=600000"), 600000);
  assert.equal(refreshIntervalFrom("?refresh=100"), 100);
  assert.equal(refreshIntervalFrom("?refresh=99"), DEFAULT_REFRESH_MS);
  assert.equal(refreshIntervalFrom("?refresh=soon"), DEFAULT_REFRESH_MS);
  assert.equal(refreshIntervalFrom("?refresh=Infinity"), DEFAULT_REFRESH_MS);
  assert.equal(refreshIntervalFrom(""), DEFAULT_REFRESH_MS);
});

test("picking a day sets ?date= and keeps the other parameters; today drops ?date=", () => {
  assert.equal(withDay("https://board.test/?refresh=500", "2026-03-11"), "https://board.test/?refresh=500&date=2026-03-11");
  assert.equal(withDay("https://board.test/?date=2026-03-10&refresh=500", "2026-03-11"), "https://board.test/?date=2026-03-11&refresh=500");
  assert.equal(withDay("https://board.test/?date=2026-03-10&refresh=500", null), "https://board.test/?refresh=500");
});

test("the previous and next day cross month and year ends, and a leap day", () => {
  assert.equal(shiftDay("2026-03-10", 1), "2026-03-11");
  assert.equal(shiftDay("2026-03-01", -1), "2026-02-28");
  assert.equal(shiftDay("2028-02-28", 1), "2028-02-29");
  assert.equal(shiftDay("2026-12-31", 1), "2027-01-01");
});

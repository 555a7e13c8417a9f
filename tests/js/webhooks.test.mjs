// Unit tests for what the webhooks panel says about endpoints and deliveries: node --test tests/js/*.test.mjs
import assert from "node:assert/strict";
import { test } from "node:test";

import { KINDS, newWebhookBody, outcomeText, sendsText, stateText } from "../../static/webhooks.js";

const ENDPOINT = { kinds: KINDS, to_statuses: null, enabled: true, disabled_reason: null, failing_since: null };

test("an endpoint's filters read as what it is sent", () => {
  assert.equal(sendsText(ENDPOINT), "Every change");
  assert.equal(sendsText({ ...ENDPOINT, kinds: ["moved"], to_statuses: ["READY"] }), "moved; moves to Ready only");
  assert.equal(sendsText({ ...ENDPOINT, kinds: ["created", "deleted"], to_statuses: ["READY"] }), "created, deleted");
});

test("a disabled endpoint says why when the service disabled it", () => {
  assert.equal(stateText(ENDPOINT), "Enabled");
  assert.equal(stateText({ ...ENDPOINT, enabled: false }), "Disabled");
  assert.equal(
    stateText({ ...ENDPOINT, enabled: false, disabled_reason: "Every attempt failed for 5 days." }),
    "Disabled by the service: Every attempt failed for 5 days.",
  );
  assert.match(stateText({ ...ENDPOINT, failing_since: "2026-12-01T09:00:00+00:00" }), /^Failing since /);
});

test("a delivery's outcome: a 2xx is delivered, anything else failed with its reason", () => {
  assert.equal(outcomeText({ status: 204, error: null }), "Delivered (204)");
  assert.equal(outcomeText({ status: 500, error: null }), "Failed: the receiver answered 500");
  assert.equal(outcomeText({ status: 302, error: null }), "Failed: the receiver answered 302");
  assert.equal(outcomeText({ status: null, error: "timed out after 10 s" }), "Failed: timed out after 10 s");
});

test("no status ticked means moves to any status", () => {
  assert.deepEqual(newWebhookBody(" https://sms.example/in ", ["moved"], []), {
    url: "https://sms.example/in",
    kinds: ["moved"],
    to_statuses: null,
  });
  assert.deepEqual(newWebhookBody("https://a.example/", KINDS, ["READY"]).to_statuses, ["READY"]);
});

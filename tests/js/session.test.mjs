// Unit tests for what a role may do and what the sign-in form says: node --test tests/js/*.test.mjs
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  fieldMessages,
  formFailureMessage,
  mayManagePeople,
  mayMove,
  roleAtLeast,
  signInFailureMessage,
  tokenRolesFor,
  waitText,
} from "../../static/session.js";

test("each role includes the one before it, and an unknown role includes nothing", () => {
  assert.equal(roleAtLeast("admin", "staff"), true);
  assert.equal(roleAtLeast("staff", "staff"), true);
  assert.equal(roleAtLeast("staff", "admin"), false);
  assert.equal(roleAtLeast("viewer", "staff"), false);
  assert.equal(roleAtLeast("root", "viewer"), false);
  assert.equal(roleAtLeast(undefined, "viewer"), false);
});

test("viewers may not move cards; staff and admins may; only admins manage people", () => {
  assert.deepEqual(["viewer", "staff", "admin"].map((role) => mayMove({ role })), [false, true, true]);
  assert.deepEqual(["viewer", "staff", "admin"].map((role) => mayManagePeople({ role })), [false, false, true]);
  assert.equal(mayMove(null), false);
});

test("a token may have its owner's role or a lower one", () => {
  assert.deepEqual(tokenRolesFor({ role: "staff" }), ["viewer", "staff"]);
  assert.deepEqual(tokenRolesFor({ role: "viewer" }), ["viewer"]);
  assert.deepEqual(tokenRolesFor({ role: "admin" }), ["viewer", "staff", "admin"]);
});

test("a wrong password and an unknown username read the same", () => {
  const wrong = { status: 401, error: { code: "unauthenticated", message: "Wrong username or password." } };

  assert.equal(signInFailureMessage(wrong), "Wrong username or password.");
  assert.equal(signInFailureMessage({ status: 401, error: null }), "Wrong username or password.");
});

test("a throttled sign-in says how long to wait, in minutes once it is a minute or more", () => {
  assert.equal(
    signInFailureMessage({ status: 429, retryAfter: "840" }),
    "Too many sign-in attempts. Try again in 14 minutes.",
  );
  assert.equal(signInFailureMessage({ status: 429, retryAfter: "61" }), "Too many sign-in attempts. Try again in 2 minutes.");
  assert.equal(signInFailureMessage({ status: 429, retryAfter: null }), "Too many sign-in attempts. Try again later.");
  assert.equal(waitText(1), "1 second");
  assert.equal(waitText(45), "45 seconds");
  assert.equal(waitText(60), "1 minute");
});

test("no network and other failures get their own words", () => {
  assert.equal(signInFailureMessage({ status: 0 }), "The server could not be reached; try again.");
  assert.equal(signInFailureMessage({ status: 503, error: { message: "The database is not answering." } }), "The database is not answering.");
  assert.equal(signInFailureMessage({ status: 500, error: null }), "Signing in failed: the server answered 500.");
});

test("a refused form lists each field's message under the field's own name", () => {
  const result = {
    status: 422,
    error: { code: "validation_error", message: "Some fields are invalid; see details.",
             details: { new_password: ["Must be at least 10 characters."] } },
  };

  assert.deepEqual(fieldMessages(result.error), { new_password: "Must be at least 10 characters." });
  assert.equal(formFailureMessage(result, { new_password: "New password" }), "New password: Must be at least 10 characters.");
  assert.equal(formFailureMessage({ status: 409, error: { message: "That username is taken." } }), "That username is taken.");
  assert.equal(formFailureMessage({ status: 0 }), "The server could not be reached; nothing was changed.");
});

// Calls to the board's JSON API, turned into plain results the page can act on.
//
// Any 401 on a call made while signed in means the session ended (signed out elsewhere, a
// password change, a disabled account): the one handler set with whenSessionEnds hears of it.

export class LoadError extends Error {}
export class SessionEnded extends LoadError {}

let sessionEnded = () => {};

export function whenSessionEnds(handler) {
  sessionEnded = handler;
}

// Send one request; answer the Response, or null when the server could not be reached.
async function send(method, path, { body, headers = {}, signedIn = true } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, cache: "no-store" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    return null;
  }
  if (response.status === 401 && signedIn) sessionEnded();
  return response;
}

// One API call. Never throws; answers { ok, status, data, next, error, retryAfter }, status 0 when
// the server could not be reached; next is the address of a list's next page, or null.
export async function call(method, path, body, options = {}) {
  const response = await send(method, path, { body, ...options });
  if (!response) return { ok: false, status: 0, data: null, next: null, error: null, retryAfter: null };
  const envelope = await readJson(response);
  return {
    ok: response.ok && envelope?.ok === true,
    status: response.status,
    data: envelope?.data ?? null,
    next: envelope?.next ?? null,
    error: envelope?.error ?? null,
    retryAfter: response.headers.get("Retry-After"),
  };
}

// The account of this browser's session, or null when nobody is signed in.
// Throws LoadError when the server cannot tell.
export async function currentAccount() {
  const result = await call("GET", "/api/me", undefined, { signedIn: false });
  if (result.ok) return result.data;
  if (result.status === 401) return null;
  const reason = result.status ? `The server answered ${result.status}.` : "The server could not be reached.";
  throw new LoadError(result.error?.message ?? reason);
}

export function signIn(username, password) {
  return call("POST", "/api/session", { username, password }, { signedIn: false });
}

export function signOut() {
  return call("DELETE", "/api/session", undefined, { signedIn: false });
}

// Fetch the board for one day. With the ETag of the board on screen, answers
// { unchanged: true } on a 304; otherwise { unchanged: false, data, etag }.
// Throws SessionEnded on a 401 and LoadError when the board cannot be loaded.
export async function fetchBoard(date, etag = null) {
  const query = date ? `?from=${encodeURIComponent(date)}` : "";
  const headers = etag ? { "If-None-Match": etag } : {};
  // no-store (in send): the page keeps its own ETag, so a 304 reaches this code instead of
  // being turned into a 200 by the browser's cache.
  const response = await send("GET", `/api/board${query}`, { headers });
  if (!response) throw new LoadError("The server could not be reached.");
  if (response.status === 304) return { unchanged: true };
  if (response.status === 401) throw new SessionEnded("Your session ended.");
  const body = await readJson(response);
  if (!response.ok || !body?.ok) {
    throw new LoadError(body?.error?.message ?? `The server answered ${response.status}.`);
  }
  return { unchanged: false, data: body.data, etag: response.headers.get("ETag") };
}

// Ask the server to move a card that we saw at `version`. Never throws; answers one of
//   { outcome: "moved", card }            the new card, with its new version
//   { outcome: "conflict", current }      someone else changed it first; current may be null
//   { outcome: "signed_out" }             the session ended: nothing moved
//   { outcome: "failed", message, forbidden }  403 (forbidden: true), 503, any other error, or
//                                         no network: nothing moved
export async function moveCard(id, status, version) {
  const result = await call("POST", `/api/appointments/${id}/move`, { status, version });
  if (result.ok) return { outcome: "moved", card: result.data };
  if (result.status === 409) return { outcome: "conflict", current: result.error?.current ?? null };
  if (result.status === 401) return { outcome: "signed_out" };
  if (result.status === 0) return { outcome: "failed", message: "The server could not be reached." };
  const message = result.error?.message ?? `The server answered ${result.status}.`;
  return { outcome: "failed", message, forbidden: result.status === 403 };
}

async function readJson(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

function failure(result) {
  if (result.status === 0) return { outcome: "failed", message: "The server could not be reached; nothing was changed." };
  return { outcome: "failed", message: result.error?.message ?? `The server answered ${result.status}; nothing was changed.` };
}

// Create a card. Answers { outcome: "created", card }, { outcome: "invalid", error } (a 422 with
// field details), { outcome: "signed_out" } or { outcome: "failed", message }.
export async function createCard(fields) {
  const result = await call("POST", "/api/appointments", fields);
  if (result.ok) return { outcome: "created", card: result.data };
  if (result.status === 401) return { outcome: "signed_out" };
  if (result.status === 422) return { outcome: "invalid", error: result.error };
  return failure(result);
}

// Save fields of a card seen at patch.version. Answers "saved" (card), "conflict" (current),
// "gone" (deleted meanwhile), "invalid" (error), "signed_out" or "failed" (message).
export async function editCard(id, patch) {
  const result = await call("PATCH", `/api/appointments/${id}`, patch);
  if (result.ok) return { outcome: "saved", card: result.data };
  if (result.status === 409 && result.error?.current) return { outcome: "conflict", current: result.error.current };
  if (result.status === 404) return { outcome: "gone" };
  if (result.status === 401) return { outcome: "signed_out" };
  if (result.status === 422) return { outcome: "invalid", error: result.error };
  return failure(result);
}

// Delete a card seen at `version`. Answers "deleted", "conflict" (current), "gone", "signed_out" or "failed".
export async function deleteCard(id, version) {
  const result = await call("DELETE", `/api/appointments/${id}?version=${encodeURIComponent(version)}`);
  if (result.ok) return { outcome: "deleted" };
  if (result.status === 409 && result.error?.current) return { outcome: "conflict", current: result.error.current };
  if (result.status === 404) return { outcome: "gone" };
  if (result.status === 401) return { outcome: "signed_out" };
  return failure(result);
}

// One card as the server has it now: { outcome: "found", card }, "gone", "signed_out" or "failed".
export async function fetchCard(id) {
  const result = await call("GET", `/api/appointments/${id}`);
  if (result.ok) return { outcome: "found", card: result.data };
  if (result.status === 404) return { outcome: "gone" };
  if (result.status === 401) return { outcome: "signed_out" };
  return failure(result);
}

// A card's history, oldest first, or null when it could not be loaded.
export async function fetchHistory(id) {
  const result = await call("GET", `/api/appointments/${id}/history`);
  return result.ok ? result.data : null;
}

// ---- people and accounts: one named call per endpoint the panels use; each answers call()'s
// { ok, status, data, error, retryAfter }, so the panels keep their own messages.

export function listUsers() {
  return call("GET", "/api/users");
}

// fields: { username, name, role, password }
export function createUser(fields) {
  return call("POST", "/api/users", fields);
}

// changes: { role } or { disabled }
export function updateUser(id, changes) {
  return call("PATCH", `/api/users/${id}`, changes);
}

export function changePassword(currentPassword, newPassword) {
  return call("POST", "/api/me/password", { current_password: currentPassword, new_password: newPassword });
}

// The newest page of tokens; a page's `next` is the address of the one after it (listTokensPage).
export function listTokens() {
  return call("GET", "/api/tokens");
}

export function listTokensPage(next) {
  return call("GET", next);
}

export function revokeAllTokens() {
  return call("POST", "/api/tokens/revoke-all");
}

// fields: { label, role, expires_at? }
export function createToken(fields) {
  return call("POST", "/api/tokens", fields);
}

export function revokeToken(id) {
  return call("DELETE", `/api/tokens/${id}`);
}

// ---- the shop's settings and its wall displays

// { STATUS: minutes | null }, or null when they could not be read.
export async function fetchLimits() {
  const result = await call("GET", "/api/shop/limits");
  return result.ok ? result.data.limits : null;
}

export function saveLimits(limits) {
  return call("PUT", "/api/shop/limits", { limits });
}

export function fetchDisplaySettings() {
  return call("GET", "/api/shop/display");
}

export function saveDisplaySettings(initials) {
  return call("PUT", "/api/shop/display", { initials });
}

export function listDisplays() {
  return call("GET", "/api/displays");
}

export function createDisplay(name) {
  return call("POST", "/api/displays", { name });
}

export function revokeDisplay(id) {
  return call("DELETE", `/api/displays/${id}`);
}

// Sign this screen in as a display with the code from its link; the answer sets its cookie.
export function pairDisplay(code) {
  return call("POST", "/api/displays/pair", { code }, { signedIn: false });
}

// A card's status link for its customer: { ok, data: { url, expires_at } }, made on first need.
export function fetchStatusLink(id) {
  return call("GET", `/api/appointments/${id}/status-link`);
}

// A new link for the card; the old one stops working at once.
export function replaceStatusLink(id) {
  return call("POST", `/api/appointments/${id}/status-link/replace`);
}

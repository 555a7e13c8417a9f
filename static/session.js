// Who is signed in and what they may do, and what the sign-in form says: pure, so Node can test it.

// Each role includes the one before it.
export const ROLES = ["viewer", "staff", "admin"];

export const SESSION_ENDED_MESSAGE = "Your session ended; please sign in again.";
export const SIGNED_OUT_MESSAGE = "You are signed out.";

export function roleAtLeast(role, needed) {
  const rank = ROLES.indexOf(role);
  return rank >= 0 && rank >= ROLES.indexOf(needed);
}

// Staff and admins move cards; viewers only look.
export function mayMove(account) {
  return roleAtLeast(account?.role, "staff");
}

export function mayManagePeople(account) {
  return roleAtLeast(account?.role, "admin");
}

// A token acts with its owner's role or a lower one chosen when it is made.
export function tokenRolesFor(account) {
  return ROLES.filter((role) => roleAtLeast(account?.role, role));
}

// "12 minutes", "1 minute", "40 seconds": how long Retry-After (in seconds) asks us to wait.
export function waitText(seconds) {
  const s = Math.max(1, Math.ceil(Number(seconds) || 0));
  if (s < 60) return s === 1 ? "1 second" : `${s} seconds`;
  const minutes = Math.ceil(s / 60);
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}

// What the sign-in form says about a refused sign-in. `result` is an API result:
// { status, error, retryAfter } with status 0 when the server could not be reached.
export function signInFailureMessage(result) {
  if (result.status === 0) return "The server could not be reached; try again.";
  if (result.status === 401) return "Wrong username or password.";
  if (result.status === 429) {
    const wait = result.retryAfter ? ` Try again in ${waitText(result.retryAfter)}.` : " Try again later.";
    return `Too many sign-in attempts.${wait}`;
  }
  return result.error?.message ?? `Signing in failed: the server answered ${result.status}.`;
}

// The first message per field from a 422's details, e.g. { new_password: "Must be at least 10 characters." }.
export function fieldMessages(error) {
  const details = error?.details ?? {};
  return Object.fromEntries(
    Object.entries(details).map(([field, messages]) => [
      field,
      Array.isArray(messages) ? messages.join(" ") : String(messages),
    ]),
  );
}

// One line for a refused form: the field messages when there are some, else the error's message.
export function formFailureMessage(result, fieldNames = {}) {
  if (result.status === 0) return "The server could not be reached; nothing was changed.";
  const fields = Object.entries(fieldMessages(result.error));
  if (fields.length) return fields.map(([field, message]) => `${fieldNames[field] ?? field}: ${message}`).join(" ");
  return result.error?.message ?? `The server answered ${result.status}; nothing was changed.`;
}

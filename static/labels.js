// How statuses, people and history entries are named on screen: pure, so Node can test it.

export function statusLabel(status) {
  const words = status.toLowerCase().replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// Who made a change: a history item's `by` is { username, name, token } or null for rows
// written before accounts existed.
export function byLabel(by) {
  if (!by) return "by someone before sign-in existed";
  const who = by.name || by.username;
  return by.token ? `by ${who} with the token “${by.token}”` : `by ${who}`;
}

// "Scheduled → Checked in": one move of a card's history.
export function moveLabel(item) {
  return `${statusLabel(item.from_status)} → ${statusLabel(item.to_status)}`;
}

// What a token's state is now, for its row in the account panel.
export function tokenState(token, now = new Date()) {
  if (token.revoked_at) return "Revoked";
  if (token.expires_at && Date.parse(token.expires_at) <= now.getTime()) return "Expired";
  return "Active";
}

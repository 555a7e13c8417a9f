// The account panel: change one's own password; list (a page at a time), create and revoke API tokens.
import * as api from "./api.js";
import { announce, byId, closeButtons, make, whenText } from "./dom.js";
import { tokenState } from "./labels.js";
import { formFailureMessage, tokenRolesFor } from "./session.js";

const el = {
  dialog: byId("account-dialog"),
  passwordForm: byId("password-form"),
  currentPassword: byId("current-password"),
  newPassword: byId("new-password"),
  passwordMessage: byId("password-message"),
  revokeAll: byId("revoke-all"),
  revokeAllConfirm: byId("revoke-all-confirm"),
  revokeAllYes: byId("revoke-all-yes"),
  revokeAllNo: byId("revoke-all-no"),
  revokeAllMessage: byId("revoke-all-message"),
  tokensBody: byId("tokens-body"),
  tokensEmpty: byId("tokens-empty"),
  moreTokens: byId("more-tokens"),
  tokenForm: byId("token-form"),
  tokenLabel: byId("token-label"),
  tokenRole: byId("token-role"),
  tokenExpires: byId("token-expires"),
  tokenMessage: byId("token-message"),
  newToken: byId("new-token"),
  secret: byId("new-token-secret"),
  copy: byId("copy-token"),
  copyStatus: byId("copy-status"),
};

const FIELD_NAMES = {
  current_password: "Current password",
  new_password: "New password",
  label: "Label",
  role: "Role",
  expires_at: "Expires on",
};

let account = null;
// The address of the token list's next page, or null when all are shown.
let nextTokens = null;

export function setUpAccount() {
  closeButtons(el.dialog);
  // The secret is shown once: closing the panel forgets it.
  el.dialog.addEventListener("close", forgetSecret);
  el.passwordForm.addEventListener("submit", changePassword);
  el.tokenForm.addEventListener("submit", createToken);
  el.tokensBody.addEventListener("click", onTokenAction);
  el.moreTokens.addEventListener("click", loadMoreTokens);
  el.revokeAll.addEventListener("click", () => {
    el.revokeAllConfirm.hidden = false;
    el.revokeAllNo.focus();
  });
  el.revokeAllNo.addEventListener("click", () => (el.revokeAllConfirm.hidden = true));
  el.revokeAllYes.addEventListener("click", revokeAllTokens);
  el.copy.addEventListener("click", copySecret);
}

export function openAccount(current) {
  account = current;
  el.tokenRole.replaceChildren(
    ...tokenRolesFor(account).map((role) => {
      const option = make("option", null, role === account.role ? `${role} (yours)` : role);
      option.value = role;
      option.selected = role === account.role;
      return option;
    }),
  );
  for (const message of [el.passwordMessage, el.revokeAllMessage, el.tokenMessage]) message.textContent = "";
  el.revokeAllConfirm.hidden = true;
  el.dialog.showModal();
  loadTokens();
}

async function changePassword(event) {
  event.preventDefault();
  const result = await api.changePassword(el.currentPassword.value, el.newPassword.value);
  if (result.status === 401) return;
  if (!result.ok) {
    el.passwordMessage.textContent = formFailureMessage(result, FIELD_NAMES);
    return;
  }
  el.currentPassword.value = "";
  el.newPassword.value = "";
  el.passwordMessage.textContent = "Your password was changed; your other sessions were signed out.";
}

async function loadTokens() {
  const result = await api.listTokens();
  if (result.status === 401) return;
  if (!result.ok) {
    el.tokenMessage.textContent = formFailureMessage(result);
    return;
  }
  el.tokensBody.replaceChildren(...result.data.map(tokenRow));
  el.tokensEmpty.hidden = result.data.length > 0;
  showMore(result.next);
}

async function loadMoreTokens() {
  if (!nextTokens) return;
  el.moreTokens.disabled = true;
  const result = await api.listTokensPage(nextTokens);
  el.moreTokens.disabled = false;
  if (result.status === 401) return;
  if (!result.ok) {
    el.tokenMessage.textContent = formFailureMessage(result);
    return;
  }
  el.tokensBody.append(...result.data.map(tokenRow));
  showMore(result.next);
}

function showMore(next) {
  nextTokens = next;
  el.moreTokens.hidden = !next;
}

async function revokeAllTokens() {
  el.revokeAllYes.disabled = true;
  const result = await api.revokeAllTokens();
  el.revokeAllYes.disabled = false;
  if (result.status === 401) return;
  el.revokeAllConfirm.hidden = true;
  if (!result.ok) {
    el.revokeAllMessage.textContent = formFailureMessage(result);
    return;
  }
  const count = result.data.revoked;
  el.revokeAllMessage.textContent =
    count === 0
      ? "You had no active tokens."
      : `${count === 1 ? "Your 1 active token was" : `All ${count} of your active tokens were`} revoked; scripts using them are refused from now on.`;
  await loadTokens();
}

function tokenRow(token) {
  const row = make("tr");
  row.dataset.id = token.id;
  const state = tokenState(token);
  const cells = [
    token.label,
    token.owner?.name || token.owner?.username || "",
    token.role,
    whenText(token.created_at),
    whenText(token.last_used_at),
    token.expires_at ? whenText(token.expires_at) : "Never",
    state,
  ];
  row.append(...cells.map((text) => make("td", null, text)));
  const actions = make("td");
  if (state !== "Revoked") {
    const revoke = make("button", "revoke", "Revoke");
    revoke.type = "button";
    revoke.dataset.id = token.id;
    revoke.setAttribute("aria-label", `Revoke the token ${token.label}`);
    actions.append(revoke);
  }
  row.append(actions);
  return row;
}

async function onTokenAction(event) {
  const button = event.target.closest("button.revoke");
  if (!button) return;
  button.disabled = true;
  const result = await api.revokeToken(button.dataset.id);
  if (result.status === 401) return;
  if (!result.ok) {
    button.disabled = false;
    el.tokenMessage.textContent = formFailureMessage(result);
    return;
  }
  el.tokenMessage.textContent = `The token ${result.data.label} was revoked; scripts using it are refused from now on.`;
  await loadTokens();
}

async function createToken(event) {
  event.preventDefault();
  const body = { label: el.tokenLabel.value.trim(), role: el.tokenRole.value };
  if (el.tokenExpires.value) body.expires_at = endOfDay(el.tokenExpires.value);
  forgetSecret();
  const result = await api.createToken(body);
  if (result.status === 401) return;
  if (!result.ok) {
    el.tokenMessage.textContent = formFailureMessage(result, FIELD_NAMES);
    return;
  }
  el.tokenLabel.value = "";
  el.tokenExpires.value = "";
  el.tokenMessage.textContent = `The token ${result.data.label} was created.`;
  el.secret.value = result.data.secret;
  el.newToken.hidden = false;
  el.secret.focus();
  el.secret.select();
  await loadTokens();
}

// The end of that day in the person's own time zone, as an ISO time with its offset.
function endOfDay(day) {
  return new Date(`${day}T23:59:59`).toISOString();
}

async function copySecret() {
  try {
    await navigator.clipboard.writeText(el.secret.value);
    el.copyStatus.textContent = "Copied.";
  } catch {
    el.secret.select();
    el.copyStatus.textContent = "Copying was refused by the browser; the token is selected, copy it with Ctrl+C.";
  }
  announce(el.copyStatus.textContent);
}

function forgetSecret() {
  el.secret.value = "";
  el.newToken.hidden = true;
  el.copyStatus.textContent = "";
}

// The webhooks panel (admins): add an address (its signing secret shown once), enable or disable,
// rotate the secret, delete, and read an address's recent deliveries and send one again.
// What is said about an endpoint or a delivery is pure (tested with node --test); the DOM is found
// in setUpWebhooks, so importing this module needs no page.
import { call } from "./api.js";
import { byId, closeButtons, make, whenText } from "./dom.js";
import { statusLabel } from "./labels.js";
import { formFailureMessage } from "./session.js";

export const KINDS = ["created", "moved", "edited", "deleted"];
const STATUSES = ["SCHEDULED", "CHECKED_IN", "IN_PROGRESS", "READY", "COMPLETED", "CANCELLED"];
const FIELD_NAMES = { url: "URL", kinds: "Changes", to_statuses: "Moves to" };

// ---- what the panel says (pure)

// "Every change", or the kinds sent, with the statuses a move must go to.
export function sendsText(webhook) {
  const kinds = webhook.kinds.length === KINDS.length ? "Every change" : webhook.kinds.join(", ");
  if (!webhook.kinds.includes("moved") || webhook.to_statuses === null) return kinds;
  return `${kinds}; moves to ${webhook.to_statuses.map(statusLabel).join(", ")} only`;
}

export function stateText(webhook) {
  if (webhook.enabled) return webhook.failing_since ? `Failing since ${whenText(webhook.failing_since)}` : "Enabled";
  return webhook.disabled_reason ? `Disabled by the service: ${webhook.disabled_reason}` : "Disabled";
}

// A delivery attempt's outcome in words: delivered on a 2xx, else what the receiver said or why nothing came.
export function outcomeText(delivery) {
  if (delivery.status !== null && delivery.status >= 200 && delivery.status < 300) {
    return `Delivered (${delivery.status})`;
  }
  if (delivery.status !== null) return `Failed: the receiver answered ${delivery.status}`;
  return `Failed: ${delivery.error ?? "no answer"}`;
}

// The body of a new endpoint from the form's values; no status ticked means any status.
export function newWebhookBody(url, kinds, statuses) {
  return { url: url.trim(), kinds, to_statuses: statuses.length ? statuses : null };
}

// ---- the API calls this panel makes

const listWebhooks = () => call("GET", "/api/webhooks");
const createWebhook = (body) => call("POST", "/api/webhooks", body);
const updateWebhook = (id, changes) => call("PATCH", `/api/webhooks/${id}`, changes);
const deleteWebhook = (id) => call("DELETE", `/api/webhooks/${id}`);
const rotateSecret = (id) => call("POST", `/api/webhooks/${id}/rotate-secret`);
const listDeliveries = (id) => call("GET", `/api/webhooks/${id}/deliveries`);
const redeliver = (id, deliveryId) => call("POST", `/api/webhooks/${id}/deliveries/${deliveryId}/redeliver`);

// ---- the panel

let el = null;
let shownDeliveries = null; // the endpoint whose deliveries are shown: { id, url }

export function setUpWebhooks() {
  el = {
    dialog: byId("webhooks-dialog"),
    body: byId("webhooks-body"),
    empty: byId("webhooks-empty"),
    message: byId("webhooks-message"),
    secretBox: byId("webhook-secret-box"),
    secret: byId("webhook-secret"),
    copy: byId("copy-webhook-secret"),
    copyStatus: byId("copy-secret-status"),
    deliveries: byId("deliveries"),
    deliveriesTitle: byId("deliveries-title"),
    deliveriesBody: byId("deliveries-body"),
    deliveriesEmpty: byId("deliveries-empty"),
    form: byId("webhook-form"),
    url: byId("webhook-url"),
    kinds: byId("webhook-kinds"),
    statuses: byId("webhook-statuses"),
    formMessage: byId("webhook-form-message"),
  };
  closeButtons(el.dialog);
  el.kinds.append(...KINDS.map((kind) => checkbox("webhook-kind", kind, kind, true)));
  el.statuses.append(...STATUSES.map((status) => checkbox("webhook-status", status, statusLabel(status), false)));
  el.form.addEventListener("submit", onAdd);
  el.copy.addEventListener("click", onCopy);
  el.body.addEventListener("click", onEndpointAction);
  el.deliveriesBody.addEventListener("click", onRedeliver);
}

function checkbox(name, value, text, checked) {
  const label = make("label", "checkbox");
  const input = make("input");
  input.type = "checkbox";
  input.name = name;
  input.value = value;
  input.checked = checked;
  label.append(input, ` ${text}`);
  return label;
}

export async function openWebhooks() {
  el.message.textContent = "";
  el.formMessage.textContent = "";
  hideSecret();
  el.deliveries.hidden = true;
  shownDeliveries = null;
  await showWebhooks();
  if (!el.dialog.open) el.dialog.showModal();
}

export function closeWebhooks() {
  if (el?.dialog.open) el.dialog.close();
  if (el) hideSecret();
}

function hideSecret() {
  el.secret.value = "";
  el.copyStatus.textContent = "";
  el.secretBox.hidden = true;
}

function showSecret(secret) {
  el.secret.value = secret;
  el.copyStatus.textContent = "";
  el.secretBox.hidden = false;
  el.secret.select();
}

async function showWebhooks() {
  const result = await listWebhooks();
  if (result.status === 401) return;
  if (!result.ok) {
    el.message.textContent = formFailureMessage(result);
    return;
  }
  el.body.replaceChildren(...result.data.map(webhookRow));
  el.empty.hidden = result.data.length > 0;
}

function actionButton(text, action, webhook, className = "") {
  const button = make("button", className, text);
  button.type = "button";
  button.dataset.action = action;
  button.dataset.id = webhook.id;
  button.dataset.url = webhook.url;
  button.setAttribute("aria-label", `${text} ${webhook.url}`);
  return button;
}

function webhookRow(webhook) {
  const row = make("tr", webhook.enabled ? "" : "disabled");
  const actions = make("td");
  actions.append(
    actionButton(webhook.enabled ? "Disable" : "Enable", webhook.enabled ? "disable" : "enable", webhook),
    actionButton("Deliveries", "deliveries", webhook),
    actionButton("Rotate secret", "rotate", webhook),
    actionButton("Delete", "delete", webhook, "danger"),
  );
  row.append(
    make("td", null, webhook.url),
    make("td", null, sendsText(webhook)),
    make("td", null, stateText(webhook)),
    make("td", null, String(webhook.pending)),
    actions,
  );
  return row;
}

async function onAdd(event) {
  event.preventDefault();
  const ticked = (fieldset) => [...fieldset.querySelectorAll("input:checked")].map((input) => input.value);
  const result = await createWebhook(newWebhookBody(el.url.value, ticked(el.kinds), ticked(el.statuses)));
  if (result.status === 401) return;
  if (!result.ok) {
    el.formMessage.textContent = formFailureMessage(result, FIELD_NAMES);
    return;
  }
  el.url.value = "";
  el.formMessage.textContent = `${result.data.url} was added.`;
  showSecret(result.data.secret);
  await showWebhooks();
}

async function onCopy() {
  try {
    await navigator.clipboard.writeText(el.secret.value);
    el.copyStatus.textContent = "Copied.";
  } catch {
    el.secret.select();
    el.copyStatus.textContent = "Select the secret and copy it.";
  }
}

const ACTIONS = {
  enable: async ({ id, url }) => done(await updateWebhook(id, { enabled: true }), `${url} is enabled.`),
  disable: async ({ id, url }) =>
    done(await updateWebhook(id, { enabled: false }), `${url} is disabled: changes are not sent to it.`),
  rotate: async ({ id, url }) => {
    const result = await rotateSecret(id);
    if (done(result, `${url} has a new secret; the old one also signs for 24 hours.`)) showSecret(result.data.secret);
  },
  delete: async ({ id, url }) => {
    if (!confirm(`Delete the webhook ${url}? Its queued changes and delivery log go with it.`)) return;
    if (done(await deleteWebhook(id), `${url} was deleted.`) && shownDeliveries?.id === id) el.deliveries.hidden = true;
  },
  deliveries: async ({ id, url }) => {
    shownDeliveries = { id, url };
    await showDeliveries();
  },
};

function done(result, text) {
  el.message.textContent = result.ok ? text : formFailureMessage(result);
  return result.ok;
}

async function onEndpointAction(event) {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  button.disabled = true;
  hideSecret();
  await ACTIONS[button.dataset.action]({ id: button.dataset.id, url: button.dataset.url });
  await showWebhooks();
}

async function showDeliveries() {
  const { id, url } = shownDeliveries;
  const result = await listDeliveries(id);
  if (!result.ok) {
    el.message.textContent = formFailureMessage(result);
    return;
  }
  el.deliveriesTitle.textContent = `Deliveries to ${url} (newest first)`;
  el.deliveriesBody.replaceChildren(...result.data.map(deliveryRow));
  el.deliveriesEmpty.hidden = result.data.length > 0;
  el.deliveries.hidden = false;
}

function deliveryRow(delivery) {
  const row = make("tr");
  const again = make("button", null, "Redeliver");
  again.type = "button";
  again.dataset.deliveryId = delivery.id;
  again.setAttribute("aria-label", `Redeliver attempt ${delivery.id}`);
  const actions = make("td");
  actions.append(again);
  row.append(
    make("td", null, whenText(delivery.attempted_at)),
    make("td", null, delivery.type),
    make("td", null, outcomeText(delivery)),
    make("td", null, `${delivery.duration_ms} ms`),
    actions,
  );
  return row;
}

async function onRedeliver(event) {
  const button = event.target.closest("button[data-delivery-id]");
  if (!button) return;
  button.disabled = true;
  const result = await redeliver(shownDeliveries.id, button.dataset.deliveryId);
  el.message.textContent = result.ok
    ? `${result.data.type} is queued to be sent again to ${shownDeliveries.url}.`
    : formFailureMessage(result);
  button.disabled = false;
  await showWebhooks();
}

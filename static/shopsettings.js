// The shop's settings panel (admins): how long each status may hold a card, initials on
// displays, and the wall displays themselves (make one, its link shown once; list; revoke).
import {
  createDisplay,
  fetchDisplaySettings,
  fetchLimits,
  listDisplays,
  revokeDisplay,
  saveDisplaySettings,
  saveLimits,
} from "./api.js";
import { byId, closeButtons, make, whenText } from "./dom.js";
import { statusLabel } from "./labels.js";
import { formFailureMessage } from "./session.js";

const STATUSES = ["SCHEDULED", "CHECKED_IN", "IN_PROGRESS", "READY", "COMPLETED", "CANCELLED"];

const el = {
  dialog: byId("shop-dialog"),
  limitsForm: byId("limits-form"),
  limitsFields: byId("limits-fields"),
  limitsMessage: byId("limits-message"),
  initials: byId("display-initials"),
  initialsMessage: byId("initials-message"),
  displayForm: byId("display-form"),
  displayName: byId("display-name"),
  displayMessage: byId("display-message"),
  newDisplay: byId("new-display"),
  displayLink: byId("display-link"),
  copyLink: byId("copy-display-link"),
  copyStatus: byId("copy-link-status"),
  displaysBody: byId("displays-body"),
  displaysEmpty: byId("displays-empty"),
};

let limitsSaved = () => {};

// `onLimitsSaved(limits)` hears of each saved change, so the board marks late cards at once.
export function setUpShopSettings(onLimitsSaved) {
  limitsSaved = onLimitsSaved;
  closeButtons(el.dialog);
  el.limitsFields.replaceChildren(
    ...STATUSES.flatMap((status) => {
      const label = make("label", null, `${statusLabel(status)} (minutes)`);
      label.htmlFor = `limit-${status}`;
      const input = make("input");
      input.id = `limit-${status}`;
      input.name = status;
      input.type = "number";
      input.min = "1";
      input.max = "10080";
      input.step = "1";
      input.placeholder = "no limit";
      return [label, input];
    }),
  );
  el.limitsForm.addEventListener("submit", onSaveLimits);
  el.initials.addEventListener("change", onInitials);
  el.displayForm.addEventListener("submit", onMakeDisplay);
  el.copyLink.addEventListener("click", onCopy);
  el.displaysBody.addEventListener("click", onRevoke);
}

export async function openShopSettings() {
  el.limitsMessage.textContent = "";
  el.initialsMessage.textContent = "";
  el.displayMessage.textContent = "";
  el.newDisplay.hidden = true;
  el.displayLink.value = "";
  // Read before showing: a value typed while the read was on its way would be overwritten.
  const [limits, display] = await Promise.all([fetchLimits(), fetchDisplaySettings(), showDisplays()]);
  if (limits) for (const status of STATUSES) byId(`limit-${status}`).value = limits[status] ?? "";
  if (display.ok) el.initials.checked = display.data.initials;
  if (!el.dialog.open) el.dialog.showModal();
}

export function closeShopSettings() {
  if (el.dialog.open) el.dialog.close();
}

async function onSaveLimits(event) {
  event.preventDefault();
  const limits = Object.fromEntries(
    STATUSES.map((status) => {
      const value = byId(`limit-${status}`).value.trim();
      return [status, value === "" ? null : Number(value)];
    }),
  );
  const result = await saveLimits(limits);
  if (!result.ok) {
    el.limitsMessage.textContent = formFailureMessage(result);
    return;
  }
  el.limitsMessage.textContent = "Limits saved.";
  limitsSaved(result.data.limits);
}

async function onInitials() {
  const result = await saveDisplaySettings(el.initials.checked);
  if (result.ok) {
    el.initials.checked = result.data.initials;
    el.initialsMessage.textContent = result.data.initials ? "Displays show initials." : "Displays show full names.";
  } else {
    el.initials.checked = !el.initials.checked;
    el.initialsMessage.textContent = formFailureMessage(result);
  }
}

async function onMakeDisplay(event) {
  event.preventDefault();
  const result = await createDisplay(el.displayName.value);
  if (!result.ok) {
    el.displayMessage.textContent = formFailureMessage(result, { name: "Name" });
    return;
  }
  el.displayName.value = "";
  el.displayMessage.textContent = "";
  // The code travels in the fragment: a browser never sends it to a server, nor does the display keep it.
  el.displayLink.value = new URL(result.data.link, location.origin).href;
  el.copyStatus.textContent = "";
  el.newDisplay.hidden = false;
  el.displayLink.select();
  await showDisplays();
}

async function onCopy() {
  try {
    await navigator.clipboard.writeText(el.displayLink.value);
    el.copyStatus.textContent = "Copied.";
  } catch {
    el.displayLink.select();
    el.copyStatus.textContent = "Select the link and copy it.";
  }
}

async function showDisplays() {
  const result = await listDisplays();
  if (!result.ok) return;
  el.displaysBody.replaceChildren(...result.data.map(displayRow));
  el.displaysEmpty.hidden = result.data.length > 0;
}

function displayRow(display) {
  const row = make("tr");
  const state = display.paired_at ? `Paired ${whenText(display.paired_at)}` : "Waiting for its screen";
  const revoke = make("button", "danger", "Revoke");
  revoke.type = "button";
  revoke.dataset.displayId = display.id;
  revoke.setAttribute("aria-label", `Revoke ${display.name}`);
  const actions = make("td");
  actions.append(revoke);
  row.append(make("td", null, display.name), make("td", null, state), make("td", null, whenText(display.last_seen_at)), actions);
  return row;
}

async function onRevoke(event) {
  const button = event.target.closest("button[data-display-id]");
  if (!button) return;
  button.disabled = true;
  const result = await revokeDisplay(button.dataset.displayId);
  el.displayMessage.textContent = result.ok ? `${result.data.name} is signed out.` : formFailureMessage(result);
  await showDisplays();
}

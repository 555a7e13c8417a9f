// The customer's status link in a card's details (staff only): shown, copied, replaced.
import { fetchStatusLink, replaceStatusLink } from "./api.js";
import { byId } from "./dom.js";

const el = {
  section: byId("card-link"),
  url: byId("card-link-url"),
  copy: byId("card-link-copy"),
  replace: byId("card-link-replace"),
  confirm: byId("card-link-confirm"),
  confirmReplace: byId("card-link-confirm-replace"),
  keep: byId("card-link-keep"),
  message: byId("card-link-message"),
};

// The card whose link is shown; a late answer for another card is dropped.
let shownFor = null;

export function setUpStatusLink() {
  el.copy.addEventListener("click", copy);
  el.replace.addEventListener("click", () => {
    el.confirm.hidden = false;
    el.keep.focus();
  });
  el.keep.addEventListener("click", () => (el.confirm.hidden = true));
  el.confirmReplace.addEventListener("click", replace);
}

// Show card `id`'s link when the person may see it (staff and above); hide the section otherwise.
export async function showStatusLink(id, visible) {
  shownFor = visible ? id : null;
  el.section.hidden = !visible;
  el.confirm.hidden = true;
  el.url.value = "";
  el.message.textContent = "";
  if (!visible) return;
  const result = await fetchStatusLink(id);
  if (shownFor === id) show(result, "");
}

export function hideStatusLink() {
  shownFor = null;
  el.section.hidden = true;
}

function show(result, said) {
  if (result.ok) {
    el.url.value = result.data.url;
    el.message.textContent = said + expiry(result.data.expires_at);
  } else {
    el.message.textContent = result.error?.message ?? "The link could not be loaded.";
  }
}

function expiry(expiresAt) {
  return expiresAt ? `It stops working on ${new Date(expiresAt).toLocaleString()}.` : "";
}

async function copy() {
  if (!el.url.value) return;
  try {
    await navigator.clipboard.writeText(el.url.value);
    el.message.textContent = "Copied.";
  } catch {
    // No clipboard (an insecure origin, or permission refused): select it for Ctrl+C.
    el.url.focus();
    el.url.select();
    el.message.textContent = "Selected: press Ctrl+C (⌘C) to copy it.";
  }
}

async function replace() {
  const id = shownFor;
  if (id === null) return;
  el.confirm.hidden = true;
  el.message.textContent = "Replacing…";
  const result = await replaceStatusLink(id);
  if (shownFor === id) show(result, result.ok ? "Replaced: the old link no longer works. " : "");
}

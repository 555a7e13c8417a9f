// Small DOM helpers shared by the page's modules: making elements, telling people what happened.

const TOAST_MS = 8000;

export function make(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function byId(id) {
  return document.getElementById(id);
}

// Said by screen readers, politely.
export function announce(text) {
  byId("announcer").textContent = text;
}

export function toast(text, kind) {
  const node = make("div", `toast ${kind}`); // #toasts is a live region: adding it is announced
  const close = make("button", "toast-close", "×");
  close.type = "button";
  close.setAttribute("aria-label", "Dismiss");
  close.addEventListener("click", () => node.remove());
  node.append(make("p", null, text), close);
  byId("toasts").append(node);
  setTimeout(() => node.remove(), TOAST_MS);
}

const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

// A server time as the person's browser shows dates; "—" for none.
export function whenText(iso) {
  return iso ? dateTimeFormat.format(new Date(iso)) : "—";
}

// Give every [data-close] button of a <dialog> the job of closing it.
export function closeButtons(dialog) {
  for (const button of dialog.querySelectorAll("[data-close]")) {
    button.addEventListener("click", () => dialog.close());
  }
}

export function closeAllDialogs() {
  for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
}

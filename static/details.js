// A card's details: its fields (editable by staff) with Save and Delete, its history, and the
// three-way merge when someone else saved the card first.
import { deleteCard, editCard, fetchCard, fetchHistory } from "./api.js";
import { FIELD_WORDS, validateCard } from "./cardfields.js";
import { cardForm } from "./cardform.js";
import { announce, byId, closeButtons, make, toast } from "./dom.js";
import { clockIn, showHistory } from "./history.js";
import { keepMine, mergedMessage, patchFor, threeWay, useTheirs } from "./merge.js";
import { hideStatusLink, setUpStatusLink, showStatusLink } from "./statuslink.js";

const el = {
  dialog: byId("card-dialog"),
  heading: byId("card-heading"),
  changed: byId("card-changed"),
  form: byId("card-form"),
  save: byId("card-save"),
  remove: byId("card-delete"),
  confirm: byId("card-confirm"),
  confirmDelete: byId("card-confirm-delete"),
  cancelDelete: byId("card-cancel-delete"),
  message: byId("card-message"),
  clash: byId("card-clash"),
  clashBody: byId("card-clash-body"),
  keepMine: byId("card-keep-mine"),
  useTheirs: byId("card-use-theirs"),
  historyMessage: byId("card-history-message"),
  history: byId("card-history"),
};
const form = cardForm("card");

// While the dialog is open: { base, seen, gone, timeZone, editable, hooks, clash, busy }
//   base:  the card as this person opened it (or as last saved here): what "mine" is compared with
//   seen:  the newest version the board showed while open, so a change is told once
//   gone:  a refresh found the card deleted
//   clash: { theirs, mine, clashes } while the person chooses between theirs and mine
let open = null;

export function setUpDetails() {
  closeButtons(el.dialog);
  el.dialog.addEventListener("close", () => {
    open = null;
    hideStatusLink();
  });
  setUpStatusLink();
  el.form.addEventListener("submit", (event) => {
    event.preventDefault();
    save();
  });
  el.remove.addEventListener("click", () => {
    el.confirm.hidden = false;
    el.cancelDelete.focus();
  });
  el.cancelDelete.addEventListener("click", () => (el.confirm.hidden = true));
  el.confirmDelete.addEventListener("click", remove);
  el.keepMine.addEventListener("click", chooseMine);
  el.useTheirs.addEventListener("click", chooseTheirs);
}

// Open the details of `card`. hooks: { onSaved(card), onDeleted(id) } keep the board in step.
export function openDetails(card, { timeZone, editable, onSaved, onDeleted }) {
  open = { base: card, seen: card.version, timeZone, editable, hooks: { onSaved, onDeleted }, gone: false, clash: null, busy: false };
  el.heading.textContent = card.title;
  form.fill(card, timeZone);
  form.clearErrors();
  form.setEditable(editable);
  for (const node of el.form.querySelectorAll(".edit-only")) node.hidden = !editable;
  el.confirm.hidden = true;
  el.clash.hidden = true;
  el.changed.hidden = true;
  el.message.textContent = "";
  el.history.replaceChildren();
  if (!el.dialog.open) el.dialog.showModal();
  showStatusLink(card.id, editable);
  loadHistory();
}

export function detailsOpenFor() {
  return open?.base.id ?? null;
}

// The board was refreshed: `card` is the open card as it now shows (undefined when it is no
// longer on the board). Say so in the dialog when it changed under the person.
export async function boardRefreshed(card) {
  if (!open || open.gone) return;
  const mine = open;
  if (card === undefined) {
    const result = await fetchCard(mine.base.id);
    if (open !== mine) return;
    if (result.outcome === "gone") {
      mine.gone = true;
      showChanged("Someone deleted this appointment meanwhile: it is no longer on the board.");
      for (const node of el.form.querySelectorAll(".edit-only")) node.hidden = true;
      hideStatusLink();
      loadHistory();
      return;
    }
    if (result.outcome !== "found") return;
    card = result.card;
  }
  if (card.version <= mine.seen) return;
  mine.seen = card.version;
  showChanged(`Someone changed this appointment since you opened it (it is now at version ${card.version}). `
    + "If you save, your changes are put on top of theirs, and you choose where you both changed the same field.");
  loadHistory();
}

function showChanged(text) {
  el.changed.textContent = text;
  el.changed.hidden = false;
}

function loadHistory() {
  const mine = open;
  showHistory(el.history, el.historyMessage, mine.base.id, mine.timeZone, () => open === mine);
}

function mineFrom(base) {
  return { ...base, ...form.read(open.timeZone) };
}

async function save() {
  if (!open?.editable || open.busy) return;
  const mine = mineFrom(open.base);
  const problems = validateCard(mine);
  if (Object.keys(problems).length) {
    el.message.textContent = form.showErrors(problems);
    return;
  }
  form.clearErrors();
  const patch = patchFor(open.base, mine);
  if (!patch) {
    el.message.textContent = "Nothing to save: no field was changed.";
    return;
  }
  await send(open.base, mine, patch, null);
}

// Send `patch` (mine on top of `base`). `merged` says what an automatic merge did, for the message.
async function send(base, mine, patch, merged) {
  const session = open;
  session.busy = true;
  el.message.textContent = "Saving…";
  const result = await editCard(base.id, patch);
  if (open !== session) return;
  session.busy = false;
  if (result.outcome === "saved") return finish(result.card, merged);
  if (result.outcome === "conflict") return resolve(base, mine, result.current);
  if (result.outcome === "gone") return deletedMeanwhile(base);
  if (result.outcome === "invalid") {
    el.message.textContent = form.showServerErrors(result.error);
    return;
  }
  if (result.outcome === "failed") el.message.textContent = `${result.message} You can save again.`;
}

// Someone saved the card first: merge by ourselves where we can, ask where we cannot.
async function resolve(base, mine, theirs) {
  open.hooks.onSaved(theirs);
  const result = threeWay(base, mine, theirs);
  if (result.outcome === "clash") {
    showClash(theirs, mine, result.clashes);
    return;
  }
  const who = await whoSaved(theirs);
  if (!open) return;
  const merged = { who, theirsChanged: result.theirsChanged, mineChanged: result.mineChanged };
  if (!result.patch) return finish(theirs, merged);
  await send(theirs, mine, result.patch, merged);
}

// The name of the person who made `card`'s version, from its history.
async function whoSaved(card) {
  const items = await fetchHistory(card.id);
  const item = items?.findLast((event) => event.version === card.version);
  return item?.by ? item.by.name || item.by.username : null;
}

function showClash(theirs, mine, clashes) {
  open.clash = { theirs, mine, clashes };
  const clock = clockIn(open.timeZone);
  const shown = (field, value) => (field === "scheduled_at" ? clock.full(value) : value || "(empty)");
  el.clashBody.replaceChildren(...clashes.map(({ field, theirs: theirValue, mine: myValue }) => {
    const row = make("tr");
    row.dataset.field = field;
    const name = FIELD_WORDS[field] ?? field;
    row.append(make("th", null, name.charAt(0).toUpperCase() + name.slice(1)),
      make("td", "theirs", shown(field, theirValue)), make("td", "mine", shown(field, myValue)));
    row.firstChild.scope = "row";
    return row;
  }));
  el.message.textContent = "Nothing was saved yet: choose whose values to keep.";
  form.setEditable(false); // what is chosen is what the table shows
  el.clash.hidden = false;
  el.keepMine.focus();
}

async function chooseMine() {
  const clash = open?.clash;
  if (!clash || open.busy) return;
  el.clash.hidden = true;
  open.clash = null;
  form.setEditable(true);
  const patch = keepMine(open.base, clash.mine, clash.theirs);
  if (!patch) return finish(clash.theirs, null);
  await send(clash.theirs, clash.mine, patch, null);
}

async function chooseTheirs() {
  const clash = open?.clash;
  if (!clash || open.busy) return;
  el.clash.hidden = true;
  open.clash = null;
  form.setEditable(true);
  const { mine, patch } = useTheirs(open.base, clash.mine, clash.theirs, clash.clashes);
  form.fill(mine, open.timeZone);
  if (!patch) return finish(clash.theirs, null, "Their version was kept; yours was dropped.");
  await send(clash.theirs, mine, patch, null);
}

function finish(card, merged, text = null) {
  open.hooks.onSaved(card);
  const said = text ?? (merged ? mergedMessage(merged.who, merged.theirsChanged, merged.mineChanged) : `${card.title} was saved.`);
  el.dialog.close();
  if (merged || text) toast(said, "info");
  announce(said);
}

function deletedMeanwhile(base) {
  open.hooks.onDeleted(base.id);
  el.dialog.close();
  toast(`Someone deleted ${base.title} meanwhile, so your changes could not be saved.`, "conflict");
}

async function remove() {
  if (!open?.editable || open.busy) return;
  const session = open;
  session.busy = true;
  el.confirm.hidden = true;
  el.message.textContent = "Deleting…";
  const result = await deleteCard(session.base.id, session.base.version);
  if (open !== session) return;
  session.busy = false;
  if (result.outcome === "deleted") {
    session.hooks.onDeleted(session.base.id);
    el.dialog.close();
    announce(`${session.base.title} was deleted.`);
    toast(`${session.base.title} was deleted.`, "info");
  } else if (result.outcome === "gone") {
    session.hooks.onDeleted(session.base.id);
    el.dialog.close();
    toast(`${session.base.title} was already deleted by someone else.`, "conflict");
  } else if (result.outcome === "conflict") {
    // Deleting what someone just changed would lose their change unseen: show it and ask again.
    session.base = result.current;
    session.seen = Math.max(session.seen, result.current.version);
    session.hooks.onSaved(result.current);
    form.fill(result.current, session.timeZone);
    el.message.textContent = "Someone changed this appointment meanwhile; it now shows their version. Delete again if you still want to.";
    loadHistory();
  } else if (result.outcome === "failed") {
    el.message.textContent = `${result.message} You can try again.`;
  }
}

// The New appointment form: checked like the API, the server's field errors beside the fields,
// and the new card on the board at once.
import { createCard } from "./api.js";
import { validateCard } from "./cardfields.js";
import { cardForm } from "./cardform.js";
import { announce, byId, closeButtons } from "./dom.js";

const el = {
  dialog: byId("new-dialog"),
  form: byId("new-form"),
  create: byId("new-create"),
  message: byId("new-message"),
};
const form = cardForm("new");

let context = null; // { timeZone, onCreated(card) } while the form is open

export function setUpNewCard() {
  closeButtons(el.dialog);
  el.form.addEventListener("submit", submit);
}

// Open an empty form for a card on `day` (the board's day), times in `timeZone`.
export function openNewCard(day, timeZone, onCreated) {
  context = { timeZone, onCreated };
  el.form.reset();
  form.fill({ date: day }, timeZone);
  form.clearErrors();
  el.message.textContent = "";
  el.dialog.showModal();
  form.focusFirst();
}

async function submit(event) {
  event.preventDefault();
  const fields = form.read(context.timeZone);
  const problems = validateCard(fields);
  if (Object.keys(problems).length) {
    el.message.textContent = form.showErrors(problems);
    return;
  }
  form.clearErrors();
  el.message.textContent = "Creating…";
  el.create.disabled = true;
  const result = await createCard(fields);
  el.create.disabled = false;
  if (result.outcome === "signed_out") return;
  if (result.outcome === "invalid") {
    el.message.textContent = form.showServerErrors(result.error);
    return;
  }
  if (result.outcome === "failed") {
    el.message.textContent = result.message;
    return;
  }
  el.message.textContent = "";
  el.dialog.close();
  announce(`${result.card.title} was created.`);
  context.onCreated(result.card);
}

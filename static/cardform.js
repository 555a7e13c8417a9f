// The fields of a card as a form (the New appointment form and the card's details): fill it,
// read it, and show field errors beside the fields.
import { byId } from "./dom.js";
import { instantAt, wallClock } from "./cardfields.js";
import { fieldMessages } from "./session.js";

// Where each API field's errors are shown: a time's beside the Time input.
const ERROR_PLACE = { title: "title", customer: "customer", scheduled_at: "time", notes: "notes" };

export function cardForm(prefix) {
  const input = (name) => byId(`${prefix}-${name}`);
  const error = (name) => byId(`${prefix}-${name}-error`);
  const names = ["title", "customer", "date", "time", "notes"];

  return {
    fill(card, timeZone) {
      const { date, time } = card.scheduled_at ? wallClock(card.scheduled_at, timeZone) : { date: card.date ?? "", time: "" };
      input("title").value = card.title ?? "";
      input("customer").value = card.customer ?? "";
      input("date").value = date;
      input("time").value = time;
      input("notes").value = card.notes ?? "";
    },
    // The fields as the API takes them; scheduled_at is null until both date and time are set.
    read(timeZone) {
      return {
        title: input("title").value.trim(),
        customer: input("customer").value.trim(),
        scheduled_at: instantAt(input("date").value, input("time").value, timeZone),
        notes: input("notes").value.trim(),
      };
    },
    // Show { field: message } beside the fields; answers the messages that belong to no field.
    showErrors(problems) {
      this.clearErrors();
      const rest = [];
      for (const [field, message] of Object.entries(problems)) {
        const place = ERROR_PLACE[field];
        if (!place) {
          rest.push(message);
          continue;
        }
        error(place).textContent = message;
        input(place).setAttribute("aria-invalid", "true");
      }
      const first = Object.keys(problems).map((field) => ERROR_PLACE[field]).find(Boolean);
      if (first) input(first).focus();
      return rest.join(" ");
    },
    // The server's 422: its field details beside the fields; answers what is left to say.
    showServerErrors(apiError) {
      const messages = fieldMessages(apiError);
      const rest = this.showErrors(messages);
      return rest || (Object.keys(messages).length ? "" : apiError?.message ?? "");
    },
    clearErrors() {
      for (const name of names) {
        if (!error(name)) continue;
        error(name).textContent = "";
        input(name).removeAttribute("aria-invalid");
      }
    },
    setEditable(editable) {
      for (const name of names) input(name).readOnly = !editable;
    },
    focusFirst() {
      input("title").focus();
    },
  };
}

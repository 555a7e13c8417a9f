// The day picker: a date input with previous, next and Today; each asks for a day to show.
import { byId } from "./dom.js";
import { shiftDay } from "./pageurl.js";

const el = {
  day: byId("day"),
  previous: byId("previous-day"),
  next: byId("next-day"),
  today: byId("today"),
};

// `onPick(day)` hears the day asked for, or null for today.
export function setUpDayPicker(onPick) {
  el.day.addEventListener("change", () => el.day.value && onPick(el.day.value));
  el.previous.addEventListener("click", () => el.day.value && onPick(shiftDay(el.day.value, -1)));
  el.next.addEventListener("click", () => el.day.value && onPick(shiftDay(el.day.value, 1)));
  el.today.addEventListener("click", () => onPick(null));
}

// Show `day` as the one picked: the board's first day, as the server answered it.
export function showPickedDay(day) {
  if (el.day.value !== day) el.day.value = day;
}

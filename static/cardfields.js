// A card's editable fields: their names in words, the board's wall clock, and the checks the API
// makes, as pure functions so Node can test them.

export const EDITABLE_FIELDS = ["title", "customer", "scheduled_at", "notes"];
export const TEXT_MAX_LENGTH = 200;
export const NOTES_MAX_LENGTH = 2000;

// How a field is named inside a sentence ("your note was saved too").
export const FIELD_WORDS = { title: "title", customer: "customer", scheduled_at: "time", notes: "note", status: "status" };

export function joinWords(words) {
  return words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

// Two values of one field are the same: times as instants, whatever their offsets.
export function sameValue(field, a, b) {
  if (field === "scheduled_at") return Date.parse(a) === Date.parse(b);
  return (a ?? "") === (b ?? "");
}

const wallFormats = new Map();

function wallParts(instantMs, timeZone) {
  if (!wallFormats.has(timeZone)) {
    wallFormats.set(timeZone, new Intl.DateTimeFormat("en-US", {
      timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    }));
  }
  const parts = Object.fromEntries(
    wallFormats.get(timeZone).formatToParts(new Date(instantMs)).map((part) => [part.type, part.value]),
  );
  return parts;
}

// Minutes the zone is ahead of UTC at that instant.
function offsetMinutes(instantMs, timeZone) {
  const p = wallParts(instantMs, timeZone);
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return Math.round((asUtc - Math.floor(instantMs / 1000) * 1000) / 60000);
}

// The date ("2026-03-10") and time ("09:30") an instant shows on the board's clock.
export function wallClock(iso, timeZone) {
  const p = wallParts(Date.parse(iso), timeZone);
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}` };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{2}:\d{2}$/;

// The instant a date and time on the board's clock name, as ISO 8601 with that zone's offset
// ("2026-03-10T09:30:00+01:00"), which the API requires; null when either part is missing.
export function instantAt(date, time, timeZone) {
  if (!DATE.test(date ?? "") || !TIME.test(time ?? "")) return null;
  const asUtc = Date.parse(`${date}T${time}:00Z`);
  if (Number.isNaN(asUtc)) return null;
  let offset = offsetMinutes(asUtc, timeZone);
  const second = offsetMinutes(asUtc - offset * 60000, timeZone);
  if (second !== offset) offset = second; // the guess crossed a daylight-saving change
  const sign = offset < 0 ? "-" : "+";
  const hours = String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0");
  const minutes = String(Math.abs(offset) % 60).padStart(2, "0");
  return `${date}T${time}:00${sign}${hours}:${minutes}`;
}

// What the API would refuse in a card's fields, as { field: message }: empty when all is well.
// `values` is { title, customer, scheduled_at, notes } with scheduled_at null when incomplete.
export function validateCard(values) {
  const problems = {};
  for (const field of ["title", "customer"]) {
    const text = (values[field] ?? "").trim();
    if (!text) problems[field] = "Must not be empty.";
    else if (text.length > TEXT_MAX_LENGTH) problems[field] = `Must be at most ${TEXT_MAX_LENGTH} characters.`;
  }
  if (!values.scheduled_at) problems.scheduled_at = "Enter a date and a time.";
  if ((values.notes ?? "").trim().length > NOTES_MAX_LENGTH) {
    problems.notes = `Must be at most ${NOTES_MAX_LENGTH} characters.`;
  }
  return problems;
}

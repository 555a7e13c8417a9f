// The three-way edit merge: what the person opened (base), what they typed (mine) and the card
// now (theirs). Pure, so Node can test it.
import { EDITABLE_FIELDS, FIELD_WORDS, joinWords, sameValue } from "./cardfields.js";

// The fields whose value differs between two copies of a card.
export function changedFields(before, after, fields = EDITABLE_FIELDS) {
  return fields.filter((field) => !sameValue(field, before[field], after[field]));
}

// The PATCH body that turns `onto` into `mine` for `fields`, sent at `onto`'s version; null when
// those fields already hold my values.
export function patchOnto(onto, mine, fields) {
  const patch = { version: onto.version };
  for (const field of fields) {
    if (!sameValue(field, onto[field], mine[field])) patch[field] = mine[field];
  }
  return Object.keys(patch).length > 1 ? patch : null;
}

// The PATCH body for a save: the fields I changed since I opened the card, at that version.
export function patchFor(base, mine) {
  return patchOnto(base, mine, changedFields(base, mine));
}

// A save answered 409 with `theirs`. Answers
//   { outcome: "merged", patch, mineChanged, theirsChanged }  nobody else touched my fields:
//        patch (null when theirs already has my values) puts my fields on theirs
//   { outcome: "clash", clashes: [{ field, theirs, mine }], mineChanged, theirsChanged }
//        both changed a field to different values: the person must choose
export function threeWay(base, mine, theirs) {
  const mineChanged = changedFields(base, mine);
  const theirsChanged = changedFields(base, theirs, [...EDITABLE_FIELDS, "status"]);
  const clashes = mineChanged
    .filter((field) => theirsChanged.includes(field) && !sameValue(field, mine[field], theirs[field]))
    .map((field) => ({ field, theirs: theirs[field], mine: mine[field] }));
  if (clashes.length) return { outcome: "clash", clashes, mineChanged, theirsChanged };
  return { outcome: "merged", patch: patchOnto(theirs, mine, mineChanged), mineChanged, theirsChanged };
}

// "Keep mine": every field I changed, with my value, at theirs' version.
export function keepMine(base, mine, theirs) {
  return patchOnto(theirs, mine, changedFields(base, mine));
}

// "Use theirs": my values for the clashing fields are dropped; what I changed elsewhere is still
// sent. Answers { mine, patch } with mine as the form should now show it.
export function useTheirs(base, mine, theirs, clashes) {
  const dropped = { ...mine };
  for (const { field } of clashes) dropped[field] = theirs[field];
  return { mine: dropped, patch: patchOnto(theirs, dropped, changedFields(base, dropped)) };
}

function fieldWords(fields) {
  return joinWords(fields.map((field) => FIELD_WORDS[field] ?? field.replaceAll("_", " ")));
}

// What the person is told after an automatic merge: "Sam changed the time meanwhile; your note was saved too".
export function mergedMessage(who, theirsChanged, mineChanged) {
  const name = who || "Someone";
  const theirs = theirsChanged.length ? `${name} changed the ${fieldWords(theirsChanged)} meanwhile` : `${name} saved this card meanwhile`;
  if (!mineChanged.length) return `${theirs}.`;
  const verb = mineChanged.length === 1 ? "was" : "were";
  return `${theirs}; your ${fieldWords(mineChanged)} ${verb} saved too`;
}

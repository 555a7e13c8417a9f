// What a move's answer means: the board after it and what the person is told. Pure, so Node can
// test it; cardmoves.js sends the moves and shows what this decides.
import { statusLabel } from "./labels.js";
import { confirmMove, rollbackMove } from "./state.js";

export function stillSavingMessage(title) {
  return `${title} is still being saved; move it again once it is done.`;
}

export function movingMessage(card, status) {
  return `Moving ${card.title} to ${statusLabel(status)}…`;
}

// A 409 while the card is still where this person saw it means someone edited another field:
// nothing they did is undone by the move, so it is sent once more at the current version.
export function resendsAfterConflict(card, result) {
  return result.outcome === "conflict" && result.current?.status === card.status;
}

// After the server answered the move of `card` (as it was before the move), answers
//   { state, announce }                        moved: the server's copy, at its new version
//   { state, toast: { text, kind }, refetch }  conflict: the card as the server has it, and a refresh
//   { state, toast, recheckAccount }           403: the card back, and a look at the role, lowered meanwhile
//   { state, toast }                           failed: the card back; the person may retry
// `result` is moveCard's answer, never "signed_out" (nothing is shown then).
export function afterMove(state, card, result) {
  if (result.outcome === "moved") {
    return { state: confirmMove(state, result.card), announce: `${card.title} moved to ${statusLabel(result.card.status)}.` };
  }
  if (result.outcome === "conflict") {
    const now = result.current ? ` It is now in ${statusLabel(result.current.status)}.` : "";
    return {
      state: rollbackMove(state, card.id, result.current),
      toast: { text: `Someone else changed this card; the board was refreshed.${now}`, kind: "conflict" },
      refetch: true,
    };
  }
  const back = `back in ${statusLabel(card.status)}. ${result.message}`;
  if (result.forbidden) {
    return { state: rollbackMove(state, card.id), toast: { text: `Moving ${card.title} was refused, so it is ${back}`, kind: "failure" }, recheckAccount: true };
  }
  return { state: rollbackMove(state, card.id), toast: { text: `Moving ${card.title} failed, so it is ${back} You can retry.`, kind: "failure" } };
}

// The move controller: turns drags, the Move to list and keys into moves; a move shows at once,
// is sent, and is kept, rolled back or refreshed as cardmoveanswer.js decides from the answer.
import { moveCard } from "./api.js";
import { announce, toast } from "./dom.js";
import { setUpDrag } from "./drag.js";
import { afterMove, movingMessage, resendsAfterConflict, stillSavingMessage } from "./cardmoveanswer.js";
import { applyMove, findCard, isMoveKey, isPending, statusForKey } from "./state.js";

let hooks = null;

// Move the cards drawn in `columnsNode`. hooks:
//   state()           the board state now            show(state)       take a new state and draw it
//   mayMove()         whether the person may move    session()         a number that changes when the session does
//   refetch()         load the board again           recheckAccount()  ask the server who is signed in again
//   dragEnded()       a drag ended, dropped or not
export function setUpMoves(columnsNode, moveHooks) {
  hooks = moveHooks;
  setUpDrag(columnsNode, { mayPickUp, onDrop: requestMove, onEnd: () => hooks.dragEnded() });
  columnsNode.addEventListener("change", onSelectChange);
  columnsNode.addEventListener("keydown", onMoveKey);
  columnsNode.addEventListener("animationend", (event) => event.target.classList.remove("refused"));
}

export async function requestMove(id, status) {
  const before = hooks.state();
  const card = findCard(before, id);
  if (!card) return;
  if (isPending(before, id)) {
    announce(stillSavingMessage(card.title));
    return;
  }
  const moved = applyMove(before, id, status);
  if (!moved) return;
  hooks.show(moved);
  announce(movingMessage(card, status));

  const session = hooks.session();
  let result = await moveCard(id, status, card.version);
  if (resendsAfterConflict(card, result) && session === hooks.session()) {
    result = await moveCard(id, status, result.current.version);
  }
  if (session !== hooks.session() || result.outcome === "signed_out") return; // the sign-in form is showing
  const answer = afterMove(hooks.state(), card, result);
  hooks.show(answer.state);
  if (answer.announce) announce(answer.announce);
  if (answer.toast) toast(answer.toast.text, answer.toast.kind);
  if (answer.refetch) hooks.refetch();
  if (answer.recheckAccount) hooks.recheckAccount(); // show the board as the lowered role sees it
}

function onSelectChange(event) {
  const select = event.target;
  const card = select.closest(".card");
  if (card) requestMove(Number(card.dataset.id), select.value);
}

function onMoveKey(event) {
  const node = event.target;
  if (!node.classList?.contains("card") || event.altKey || event.ctrlKey || event.metaKey) return;
  if (!isMoveKey(event.key)) return;
  const state = hooks.state();
  const card = findCard(state, Number(node.dataset.id));
  if (!card || !hooks.mayMove()) return;
  event.preventDefault();
  const status = statusForKey(state.board.statuses, card.status, event.key);
  if (status) requestMove(card.id, status);
}

// drag.js follows the pointer; a card may be picked up by someone who may move it, once its
// last move is answered.
function mayPickUp(id, cardNode) {
  if (!hooks.mayMove()) return false;
  const state = hooks.state();
  if (isPending(state, id)) {
    announce(stillSavingMessage(findCard(state, id)?.title ?? "This card"));
    cardNode.classList.add("refused");
    return false;
  }
  return true;
}

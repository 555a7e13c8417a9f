// Dragging cards with pointer events: one code path for mouse, pen and touch.
import { announce } from "./dom.js";

const DRAG_THRESHOLD_PX = 6;

let columns = null;
let hooks = null;
let drag = null; // { id, card, pointerId, startX, startY, ghost, target } while a pointer is down on a card

// Follow drags of the cards in `columnsNode`. `mayPickUp(id, cardNode)` says whether a card may
// be picked up (and tells the person why not); `onDrop(id, status)` asks for the move;
// `onEnd()` runs when a drag ends, dropped or not.
export function setUpDrag(columnsNode, { mayPickUp, onDrop, onEnd }) {
  columns = columnsNode;
  hooks = { mayPickUp, onDrop, onEnd };
  columns.addEventListener("pointerdown", onPointerDown);
}

export function isDragging() {
  return drag !== null;
}

// Drop nothing: the drag just stops (the session ended, say).
export function cancelDrag() {
  if (drag) endDrag();
}

function onPointerDown(event) {
  const card = event.target.closest(".card");
  if (!card || drag || event.target.closest(".move-to, button")) return;
  if (event.pointerType === "mouse" && event.button !== 0) return;
  const id = Number(card.dataset.id);
  if (!hooks.mayPickUp(id, card)) return;
  drag = { id, card, pointerId: event.pointerId, startX: event.clientX, startY: event.clientY, ghost: null, target: null };
  document.addEventListener("pointermove", onPointerMove);
  document.addEventListener("pointerup", onPointerUp);
  document.addEventListener("pointercancel", onPointerCancel);
  document.addEventListener("keydown", onDragKey);
}

function onPointerMove(event) {
  if (!drag || event.pointerId !== drag.pointerId) return;
  if (!drag.ghost) {
    if (Math.hypot(event.clientX - drag.startX, event.clientY - drag.startY) < DRAG_THRESHOLD_PX) return;
    startDrag();
  }
  event.preventDefault();
  scrollNearEdge(event.clientX);
  const rect = drag.card.getBoundingClientRect();
  drag.ghost.style.transform = `translate(${event.clientX - drag.startX + rect.left}px, ${event.clientY - drag.startY + rect.top}px)`;
  const target = columnAt(event.clientX, event.clientY);
  if (target !== drag.target) {
    drag.target?.classList.remove("drop-target");
    target?.classList.add("drop-target");
    drag.target = target;
  }
}

// On a narrow screen the columns scroll sideways: dragging near an edge scrolls them.
function scrollNearEdge(x) {
  const box = columns.getBoundingClientRect();
  const edge = 48;
  if (x > box.right - edge) columns.scrollLeft += 24;
  else if (x < box.left + edge) columns.scrollLeft -= 24;
}

function startDrag() {
  const rect = drag.card.getBoundingClientRect();
  const ghost = drag.card.cloneNode(true);
  ghost.classList.add("ghost");
  ghost.removeAttribute("tabindex");
  ghost.setAttribute("aria-hidden", "true");
  ghost.style.width = `${rect.width}px`;
  document.body.append(ghost);
  drag.ghost = ghost;
  drag.card.classList.add("drag-source");
  document.body.classList.add("dragging");
  try {
    drag.card.setPointerCapture(drag.pointerId);
  } catch {
    // A pointer the browser does not track (a synthetic event) still reaches the document.
  }
}

function columnAt(x, y) {
  return document.elementFromPoint(x, y)?.closest(".column") ?? null;
}

function onPointerUp(event) {
  if (!drag || event.pointerId !== drag.pointerId) return;
  const { id, ghost } = drag;
  const target = ghost ? columnAt(event.clientX, event.clientY) : null;
  if (ghost) swallowNextClick();
  endDrag();
  if (target) hooks.onDrop(id, target.dataset.status);
}

// A click follows the pointerup of a drag; it must not also open the card that was dragged.
function swallowNextClick() {
  const swallow = (event) => {
    event.stopPropagation();
    event.preventDefault();
  };
  document.addEventListener("click", swallow, { capture: true, once: true });
  // When no click comes (the pointer ended outside the card), the next real click is not eaten.
  setTimeout(() => document.removeEventListener("click", swallow, { capture: true }), 0);
}

function onPointerCancel(event) {
  if (drag && event.pointerId === drag.pointerId) endDrag();
}

function onDragKey(event) {
  if (drag && event.key === "Escape") {
    endDrag();
    announce("Drag cancelled.");
  }
}

function endDrag() {
  drag.ghost?.remove();
  drag.target?.classList.remove("drop-target");
  drag.card.classList.remove("drag-source");
  document.body.classList.remove("dragging");
  document.removeEventListener("pointermove", onPointerMove);
  document.removeEventListener("pointerup", onPointerUp);
  document.removeEventListener("pointercancel", onPointerCancel);
  document.removeEventListener("keydown", onDragKey);
  drag = null;
  hooks.onEnd();
}


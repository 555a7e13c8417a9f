// Calls to the board's JSON API, turned into plain results the page can act on.

export class LoadError extends Error {}

// Fetch the board for one day. With the ETag of the board on screen, answers
// { unchanged: true } on a 304; otherwise { unchanged: false, data, etag }.
// Throws LoadError when the board cannot be loaded.
export async function fetchBoard(date, etag = null) {
  const query = date ? `?from=${encodeURIComponent(date)}` : "";
  const headers = { Accept: "application/json" };
  if (etag) headers["If-None-Match"] = etag;
  let response;
  try {
    // no-store: the page keeps its own ETag, so a 304 reaches this code instead of being
    // turned into a 200 by the browser's cache.
    response = await fetch(`/api/board${query}`, { headers, cache: "no-store" });
  } catch {
    throw new LoadError("The server could not be reached.");
  }
  if (response.status === 304) return { unchanged: true };
  const body = await readJson(response);
  if (!response.ok || !body?.ok) {
    throw new LoadError(body?.error?.message ?? `The server answered ${response.status}.`);
  }
  return { unchanged: false, data: body.data, etag: response.headers.get("ETag") };
}

// Ask the server to move a card that we saw at `version`. Never throws; answers one of
//   { outcome: "moved", card }            the new card, with its new version
//   { outcome: "conflict", current }      someone else changed it first; current may be null
//   { outcome: "failed", message }        503, any other error, or no network: nothing moved
export async function moveCard(id, status, version) {
  let response;
  try {
    response = await fetch(`/api/appointments/${id}/move`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ status, version }),
      cache: "no-store",
    });
  } catch {
    return { outcome: "failed", message: "The server could not be reached." };
  }
  const body = await readJson(response);
  if (response.ok && body?.ok) return { outcome: "moved", card: body.data };
  if (response.status === 409) return { outcome: "conflict", current: body?.error?.current ?? null };
  return { outcome: "failed", message: body?.error?.message ?? `The server answered ${response.status}.` };
}

async function readJson(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

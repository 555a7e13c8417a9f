// Following the shop's changes as they happen: GET /api/events (Server-Sent Events), with the
// session's cookie like any same-origin request. The browser reconnects by itself after a dropped
// stream (sending Last-Event-ID); after a refusal (an HTTP error) it gives up, and this module
// opens a new stream later with ?after= the last change seen, so nothing in between is missed.
import { parseChange } from "./changes.js";

const RETRY_MS = [2000, 5000, 15000, 30000];

// hooks: onChange(change), onReset(), onUp() once the stream is open, onDown() when it fails.
// Answers stop(), which closes the stream for good.
export function followChanges(hooks) {
  let source = null;
  let timer = null;
  let failures = 0;
  let lastSeq = null;
  let stopped = false;

  function connect() {
    timer = null;
    source = new EventSource(lastSeq === null ? "/api/events" : `/api/events?after=${encodeURIComponent(lastSeq)}`);
    source.addEventListener("open", () => {
      failures = 0;
      // Said on the page too, for styles and for tests that must know the stream is open.
      document.documentElement.dataset.live = "open";
      hooks.onUp();
    });
    source.addEventListener("change", (event) => {
      if (event.lastEventId) lastSeq = event.lastEventId;
      const change = parseChange(event.data);
      if (change) hooks.onChange(change);
    });
    source.addEventListener("reset", (event) => {
      if (event.lastEventId) lastSeq = event.lastEventId;
      hooks.onReset();
    });
    source.addEventListener("error", () => {
      if (stopped) return;
      document.documentElement.dataset.live = "down";
      hooks.onDown();
      if (source.readyState === EventSource.CLOSED) {
        source = null;
        timer = setTimeout(connect, RETRY_MS[Math.min(failures, RETRY_MS.length - 1)]);
        failures += 1;
      }
    });
  }

  connect();
  return function stop() {
    stopped = true;
    clearTimeout(timer);
    source?.close();
  };
}

// A websocket that stays connected: after a drop it reconnects with `after=<the last stream position seen>`, so the
// server replays what was missed, then goes live again, with no gap and no repeat.

export const RETRY_BASE_MS = 500;
export const RETRY_MAX_MS = 30000;
/** Close codes that end the socket for good: the token (4401) or the page's origin (4403) was refused. */
export const REFUSED = new Set([4401, 4403]);

/** The wait before retry number `attempt` (0-based): doubling from 0.5 s, capped at 30 s, less up to half of it at
 * random so that a thousand widgets dropped by one restart do not all come back in the same millisecond. */
export function backoff(attempt, random = Math.random) {
  return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempt) * (0.5 + random() / 2);
}

/**
 * `url(after)` names the socket to open; `cursorOf(event)` is an event's stream position (undefined for frames that
 * are never replayed, such as typing); `onEvent(event)` gets every parsed frame; `onState({state, ...})` hears
 * "connecting", "open" (with `resumed`: whether it resumed from a cursor, and `reconnected`), "waiting" (with
 * `delay`) and "refused" (with the close `code` and `reason`: the end).
 * WebSocket, the timers, the random source and the window (for `online`/`offline`) are injectable for tests.
 */
export function createSocket({
  url,
  cursorOf,
  onEvent,
  onState = () => {},
  after = 0,
  WebSocket = globalThis.WebSocket,
  timers = globalThis,
  random = Math.random,
  window = globalThis,
  isOnline = () => globalThis.navigator?.onLine ?? true,
}) {
  let cursor = after;
  let ws = null;
  let timer = null;
  let attempt = 0;
  let stopped = true;

  function advance(position) {
    if (typeof position === "number" && position > cursor) cursor = position;
  }

  function open() {
    timer = null;
    if (stopped || ws) return;
    if (!isOnline()) {
      onState({ state: "offline" }); // the `online` event brings it back
      return;
    }
    const reconnected = attempt > 0;
    const resumed = cursor > 0;
    onState({ state: "connecting", reconnected });
    const socket = new WebSocket(url(cursor));
    ws = socket;
    socket.onopen = () => {
      attempt = 0;
      onState({ state: "open", reconnected, resumed });
    };
    socket.onmessage = (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      advance(cursorOf(event));
      onEvent(event);
    };
    socket.onclose = (close) => {
      if (ws !== socket) return;
      ws = null;
      if (stopped) return;
      if (REFUSED.has(close.code)) {
        stopped = true;
        onState({ state: "refused", code: close.code, reason: close.reason || "" });
        return;
      }
      const delay = backoff(attempt, random);
      attempt += 1;
      onState({ state: "waiting", delay });
      timer = timers.setTimeout(open, delay);
    };
  }

  /** Back online: try now, and from the shortest wait again. */
  function onOnline() {
    attempt = 0;
    if (timer !== null) timers.clearTimeout(timer);
    open();
  }

  /** Gone offline: a socket the browser still believes open would only fail later; drop it now and wait. */
  function onOffline() {
    if (ws) ws.close();
  }

  function start() {
    if (!stopped) return;
    stopped = false;
    window.addEventListener("online", onOnline);
    window.addEventListener("offline", onOffline);
    open();
  }

  function stop() {
    stopped = true;
    window.removeEventListener("online", onOnline);
    window.removeEventListener("offline", onOffline);
    if (timer !== null) timers.clearTimeout(timer);
    timer = null;
    const socket = ws;
    ws = null;
    if (socket) socket.close();
  }

  return { start, stop };
}

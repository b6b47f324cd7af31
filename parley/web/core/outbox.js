// The visitor's messages not yet stored by the server, kept in Storage (localStorage) so that they survive a reload
// and a lost connection, and sent in the order they were written, each exactly once thanks to its `uuid`.

/** Errors worth waiting out: no connection (0), the server overloaded or restarting (5xx), or too fast (429). */
const isTransient = (error) => !error.status || error.status >= 500 || error.status === 429;

/**
 * `send(entry)` stores one entry (`{uuid, text, createdAt}`) on the server and answers the stored message. The
 * outbox calls `onSent(entry, message)` once an entry is stored (message is null when the server answered 409: that
 * uuid is already stored, so this is a repeat of a send whose answer was lost), `onWaiting(entry, error)` when a
 * transient error stops the queue until `flush()` is called again (the connection came back), and
 * `onFailed(entry, error)` when the server refused it for good (it stays, marked, until `retry(uuid)`).
 */
export function createOutbox({ storage, key, send, onSent = () => {}, onWaiting = () => {}, onFailed = () => {} }) {
  let entries = read();
  let running = null;
  let again = false;

  function read() {
    try {
      const found = JSON.parse(storage.getItem(key) || "[]");
      return Array.isArray(found) ? found.filter((entry) => entry && entry.uuid && typeof entry.text === "string") : [];
    } catch {
      return []; // storage refused (private mode) or held something else
    }
  }

  function save() {
    try {
      if (entries.length) storage.setItem(key, JSON.stringify(entries));
      else storage.removeItem(key);
    } catch {
      /* storage refused: the entries still live in this page */
    }
  }

  function settle(entry) {
    entries = entries.filter((other) => other.uuid !== entry.uuid);
    save();
  }

  async function drain() {
    for (;;) {
      const entry = entries.find((candidate) => !candidate.failed);
      if (!entry) return;
      let message;
      try {
        message = await send(entry);
      } catch (error) {
        if (error.status === 409) {
          settle(entry);
          onSent(entry, null);
          continue;
        }
        if (isTransient(error)) {
          onWaiting(entry, error);
          return;
        }
        entry.failed = error.message || "Not sent.";
        save();
        onFailed(entry, error);
        continue;
      }
      settle(entry);
      onSent(entry, message);
    }
  }

  /** Send what waits, in order; a call while sending makes the running pass look again when it is done. */
  function flush() {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await drain();
      } while (again);
      running = null;
    })();
    return running;
  }

  function add(entry) {
    entries.push({ uuid: entry.uuid, text: entry.text, createdAt: entry.createdAt });
    save();
    return flush();
  }

  function retry(uuid) {
    const entry = entries.find((candidate) => candidate.uuid === uuid);
    if (entry) {
      delete entry.failed;
      save();
    }
    return flush();
  }

  function clear() {
    entries = [];
    save();
  }

  return { add, flush, retry, clear, entries: () => entries.map((entry) => ({ ...entry })) };
}

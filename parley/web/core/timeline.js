// The messages of one conversation, in the server's order, merged from every source (history pages, live events,
// the answers to our own sends, our pending copies), each change reported so that a renderer touches only that.

const STATUSES = ["sent", "delivered", "read"];
const rank = (status) => STATUSES.indexOf(status);

/** A message's key: its id once stored, `u:<uuid>` while only our pending copy exists. */
export const keyOf = (message) => message.id || `u:${message.uuid}`;

/** Whose message it is, for read receipts: the visitor's, or the team's (agents and the bot). */
export const sideOf = (message) => (message.endUser ? "visitor" : "team");

const stored = (message) => typeof message.microseconds === "number";

/** Stored messages in `microseconds` order, then pending ones in the order they were written. */
function comesBefore(a, b) {
  if (stored(a) && stored(b)) return a.microseconds < b.microseconds;
  return stored(a) && !stored(b);
}

/**
 * `upsert(message)` takes a stored message (it has `microseconds`) or a local change (our pending copy, or fields to
 * change on a message by id or uuid) and answers the list of changes it made. A change is
 * `{key, previousKey, message, previous, before}`: the message now at `key` (it was at `previousKey`, which differs
 * when a pending copy became the stored message), what it was (`previous`, null for a new one), and the key of the
 * message it now stands before (null: the last). Statuses only move forward, and a message read means every earlier
 * message of its side is read too (a read receipt is one event, for the newest message it marked).
 */
export function createTimeline() {
  const list = [];
  const byKey = new Map();

  function find(message) {
    if (message.id && byKey.has(message.id)) return byKey.get(message.id);
    if (message.uuid && byKey.has(`u:${message.uuid}`)) return byKey.get(`u:${message.uuid}`);
    return null;
  }

  /** Where `message` goes: searched from the end, where nearly everything arrives. */
  function slotFor(message) {
    let at = list.length;
    while (at > 0 && comesBefore(message, list[at - 1])) at -= 1;
    return at;
  }

  function merge(previous, message) {
    if (!stored(message)) return { ...previous, ...message };
    const merged = { ...message };
    if (rank(previous.status) > rank(merged.status)) merged.status = previous.status;
    return merged;
  }

  function place(previous, message) {
    const previousKey = previous ? keyOf(previous) : null;
    if (previous) {
      list.splice(list.indexOf(previous), 1);
      byKey.delete(previousKey);
    }
    const at = slotFor(message);
    list.splice(at, 0, message);
    byKey.set(keyOf(message), message);
    const next = list[at + 1];
    return { key: keyOf(message), previousKey, message, previous, before: next ? keyOf(next) : null };
  }

  /** Every earlier message of `read`'s side, now read: back to the first one that already was (receipts mark
   * everything before them, so nothing earlier than a read message can be unread). */
  function readUpTo(read) {
    const changes = [];
    const side = sideOf(read);
    for (let at = list.indexOf(read) - 1; at >= 0; at -= 1) {
      const earlier = list[at];
      if (sideOf(earlier) !== side || !stored(earlier)) continue;
      if (earlier.status === "read") break;
      const message = { ...earlier, status: "read" };
      list[at] = message;
      byKey.set(keyOf(message), message);
      const next = list[at + 1];
      changes.push({ key: keyOf(message), previousKey: keyOf(earlier), message, previous: earlier, before: next ? keyOf(next) : null });
    }
    return changes;
  }

  function upsert(message) {
    const previous = find(message);
    if (!previous && !stored(message) && !message.pending) return []; // a change for a message we do not hold
    const merged = previous ? merge(previous, message) : message;
    const changes = [place(previous, merged)];
    if (merged.status === "read" && stored(merged)) changes.push(...readUpTo(merged));
    return changes;
  }

  /** Many messages at once (a history page, older or newer): the changes of all of them. */
  function upsertMany(messages) {
    return messages.flatMap(upsert);
  }

  function clear() {
    list.length = 0;
    byKey.clear();
  }

  return {
    upsert,
    upsertMany,
    clear,
    find: (predicate) => list.find(predicate) || null,
    /** The newest message that `predicate` accepts, searched from the end. */
    findLast(predicate) {
      for (let at = list.length - 1; at >= 0; at -= 1) if (predicate(list[at])) return list[at];
      return null;
    },
    /** The messages in order (a copy: changing it changes nothing). */
    messages: () => list.slice(),
    get size() {
      return list.length;
    },
    /** The `microseconds` of the oldest stored message held: where the next older page ends. */
    oldest: () => list.find(stored)?.microseconds ?? null,
    /** The `microseconds` of the newest stored message held. */
    newest() {
      return this.findLast(stored)?.microseconds ?? null;
    },
  };
}

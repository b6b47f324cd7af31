// Who did what to a conversation (assigned it, locked it, changed its status or labels), said in a sentence and placed
// among its messages by the conversation's message clock, so the team reads the timeline as it happened.

/** Who acted, as the start of a sentence: "You", an agent's name, the visitor's name, "The API" or "Parley". */
function actorName(actor, meId, visitor) {
  if (actor.type === "agent") return actor.agentId === meId ? "You" : actor.name || "An agent";
  if (actor.type === "visitor") return visitor;
  if (actor.type === "api") return "The API";
  return "Parley";
}

/** Whom an agent is, inside a sentence. */
const agentName = (agent, meId) => (agent ? (agent.id === meId ? "you" : agent.name) : "an agent");

/**
 * One activity as a sentence. `meId` is the reader (said "you"), `visitor` the visitor's name, `wakeTime(seconds)` how
 * a snooze's end is said.
 */
export function activityText(activity, { meId, visitor, wakeTime }) {
  const actor = activity.actor;
  const who = actorName(actor, meId, visitor);
  switch (activity.kind) {
    case "assigned":
      if (actor.type === "system") return `Assigned to ${agentName(activity.agent, meId)} automatically`;
      if (actor.type === "agent" && activity.agent && actor.agentId === activity.agent.id) {
        return `${who} took the conversation`;
      }
      return `${who} assigned the conversation to ${agentName(activity.agent, meId)}`;
    case "unassigned":
      if (!activity.agent) return `${who} unassigned the conversation`;
      if (actor.type === "agent" && actor.agentId === activity.agent.id) return `${who} released the conversation`;
      return `${who} unassigned ${agentName(activity.agent, meId)}`;
    case "locked":
      return `${who} locked the conversation`;
    case "unlocked":
      return `${who} unlocked the conversation`;
    case "labels":
      return activity.labels && activity.labels.length
        ? `${who} set the labels: ${activity.labels.join(", ")}`
        : `${who} removed the labels`;
    case "status":
      return statusText(activity, who, wakeTime);
    default:
      return `${who} changed the conversation`;
  }
}

function statusText(activity, who, wakeTime) {
  switch (activity.status) {
    case "open":
      if (activity.actor.type === "visitor") return `${who} wrote again: the conversation is open again`;
      if (activity.actor.type === "system") return "The snooze ended: the conversation is open again";
      return `${who} reopened the conversation`;
    case "pending":
      return `${who} marked the conversation pending`;
    case "snoozed":
      return `${who} snoozed the conversation until ${wakeTime(activity.snoozedUntil)}`;
    case "resolved":
      return `${who} resolved the conversation`;
    default:
      return `${who} set the status to ${activity.status}`;
  }
}

const stored = (message) => typeof message.microseconds === "number";

/** The activity held with a page of it merged in: each entry once (a page read again after a change repeats some),
 * in the order of the conversation's clock. */
export function mergeActivity(held, page) {
  const byId = new Map(held.map((entry) => [entry.id, entry]));
  for (const entry of page) byId.set(entry.id, entry);
  return [...byId.values()].sort((a, b) => a.microseconds - b.microseconds);
}

/**
 * The thread as drawn: its messages and activities in one list, in order (an activity is told apart by its `actor`;
 * the objects are the very ones given, so that a view skips those it drew already). An activity follows the messages
 * its clock reading had reached (`microseconds` at most its own) and precedes later ones; messages still being sent
 * come last. While older history is still unloaded (`hasOlder`), activities older than the oldest message held wait
 * with it, rather than gather at the top.
 */
export function interleave(messages, activities, hasOlder) {
  const oldest = messages.find(stored);
  const shown = hasOlder ? activities.filter((a) => oldest && a.microseconds >= oldest.microseconds) : activities;
  if (!shown.length) return messages;
  const entries = [];
  let next = 0;
  for (const message of messages) {
    while (next < shown.length && (!stored(message) || shown[next].microseconds < message.microseconds)) {
      entries.push(shown[next]);
      next += 1;
    }
    entries.push(message);
  }
  return entries.concat(shown.slice(next));
}

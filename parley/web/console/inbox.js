// The inbox's views and orders as plain data: which conversations a view holds, the query that asks the server for
// them, and the order rows are listed in. The server filters the pages it sends; these same rules decide, when a live
// event changes a conversation, whether its row enters or leaves the view in front of the agent, at once.

/** The views, in the order the console lists them; each one's `id` is also its key in `GET /conversations/counts`. */
export const VIEWS = [
  { id: "mine", name: "Mine", status: "open", assignee: "me" },
  { id: "unassigned", name: "Unassigned", status: "open", assignee: "none" },
  { id: "open", name: "All open", status: "open", assignee: null },
  { id: "pending", name: "Pending", status: "pending", assignee: null },
  { id: "snoozed", name: "Snoozed", status: "snoozed", assignee: null },
  { id: "resolved", name: "Resolved", status: "resolved", assignee: null },
];

export const DEFAULT_VIEW = "open";

export const SORTS = [
  { id: "newest", name: "Newest" },
  { id: "waiting", name: "Waiting longest" },
];

export const viewNamed = (id) => VIEWS.find((view) => view.id === id) || VIEWS.find((view) => view.id === DEFAULT_VIEW);

/** Whether `conversation` belongs in `view` (narrowed to `label` when one is chosen) for the agent `meId`. */
export function inView(conversation, { view, label = null }, meId) {
  const chosen = viewNamed(view);
  if ((conversation.status || "open") !== chosen.status) return false;
  const holder = conversation.assignedAgent ? conversation.assignedAgent.id : null;
  if (chosen.assignee === "me" && holder !== meId) return false;
  if (chosen.assignee === "none" && holder !== null) return false;
  return !label || (conversation.labels || []).includes(label);
}

/** The query string of a page of `GET /conversations` for the view, label and sort chosen. */
export function listQuery({ view, label = null, sort = "newest" }, { after = null, limit }) {
  const chosen = viewNamed(view);
  const query = new URLSearchParams({ status: chosen.status });
  if (chosen.assignee) query.set("assignee", chosen.assignee);
  if (label) query.set("label", label);
  query.set("sort", sort);
  if (after) query.set("after", after);
  query.set("limit", String(limit));
  return `?${query}`;
}

/** When a row last moved, in microseconds: its last message, or its conversation's creation. */
export const activityOf = (row) => (row.lastMessage ? row.lastMessage.microseconds : row.conversation.createdAt * 1e6);

const byActivity = (a, b) => activityOf(b) - activityOf(a);

/** `waiting`: whoever has waited longest first (the oldest `waitingSince`), those not waiting after them; within
 * either, the most recently active first. `newest`: the most recently active first. */
export function compareRows(sort) {
  if (sort !== "waiting") return byActivity;
  return (a, b) => {
    const since = [a.conversation.waitingSince, b.conversation.waitingSince];
    if (since[0] == null || since[1] == null) {
      return since[0] == null && since[1] == null ? byActivity(a, b) : since[0] == null ? 1 : -1;
    }
    return since[0] - since[1] || byActivity(a, b);
  };
}

/** The rows `filter` shows, in `filter.sort`'s order. */
export const rowsFor = (rows, filter, meId) =>
  rows.filter((row) => inView(row.conversation, filter, meId)).sort(compareRows(filter.sort));

/** Which events may change the counts of the views. */
export const COUNTED_EVENTS = new Set([
  "conversation.created",
  "conversation.status_changed",
  "conversation.assigned",
  "conversation.unassigned",
]);

// What the console says about people, messages and conversations, as plain strings: the same words serve the
// screen and the labels screen readers announce.

import { fileName, when } from "./core/text.js";
import { wakeTime } from "./snooze.js";

/** The visitor's stored name (the server gives anonymous visitors a friendly one); their email or a plain word only
 * when there is no name, never something made up from an id. */
export function visitorName(conversation) {
  const user = conversation.endUser;
  return (user && (user.name || user.email)) || "Unnamed visitor";
}

export const stars = (mark) => "★".repeat(mark) + "☆".repeat(5 - mark);

/** Where a review stands, in the words of someone reading the list. */
export function reviewState(review) {
  if (!review || !review.mark) return "Review requested";
  const rated = `Rated ${review.mark} out of 5${review.text ? `: “${review.text}”` : ""}`;
  return review.confirmed ? rated : `${rated} (not confirmed yet)`;
}

/** Who wrote a message: the agent, the bot, or else the visitor, named `visitor`; a note says it is one. */
export function authorName(message, visitor) {
  const name = message.agent ? message.agent.name : message.bot ? message.bot.name : visitor;
  return message.type === "note" ? `Note by ${name}` : name;
}

/** What a message says, on one line. */
export function summary(message) {
  if (message.type === "review") return reviewState(message.review);
  if (message.type === "file" && message.file) {
    return `${message.file.type === "image" ? "Image" : "File"}: ${fileName(message.file.info)}`;
  }
  return message.body || "";
}

/** A row's preview of its last message: the team's messages say who wrote them (notes that they are notes), the
 * visitor's speak for themselves (the row already names the visitor), and a review says where it stands. */
export function preview(message) {
  if (!message) return "No messages yet";
  const team = message.agent || (message.type !== "review" && message.bot);
  return team ? `${authorName(message)}: ${summary(message)}` : summary(message);
}

/** Where the conversation stands: "Open", "Pending", "Resolved", or "Snoozed until Mon 09:00". */
export function statusName(conversation, now = new Date()) {
  const status = conversation.status || "open";
  if (status === "snoozed" && conversation.snoozedUntil) return `Snoozed until ${wakeTime(conversation.snoozedUntil, now)}`;
  return status[0].toUpperCase() + status.slice(1);
}

export const labelsText = (labels) => (labels && labels.length ? `Labels: ${labels.join(", ")}` : "");

/** Who holds the conversation, as the thread's header says it: "Assigned to you", "Assigned to Bea", "Unassigned". */
export function holder(conversation, meId) {
  const agent = conversation.assignedAgent;
  return agent ? `Assigned to ${agent.id === meId ? "you" : agent.name}` : "Unassigned";
}

/** When the conversation last moved: its last message, else its start (unix seconds). */
export const lastActivity = (row) => (row.lastMessage ? row.lastMessage.createdAt : row.conversation.createdAt);

/** A row as a screen reader announces it: who, how many unread, what was said, when, its status, who holds it,
 * and its labels, so that rows of one visitor, or of several unnamed ones, are told apart. */
export function rowLabel(row, unread, meId) {
  const conversation = row.conversation;
  const parts = [visitorName(conversation)];
  if (unread) parts.push(`${unread} unread`);
  parts.push(preview(row.lastMessage), when(lastActivity(row)), statusName(conversation), holder(conversation, meId));
  if (conversation.locked) parts.push("Locked");
  if (conversation.labels && conversation.labels.length) parts.push(labelsText(conversation.labels));
  return parts.join(", ");
}

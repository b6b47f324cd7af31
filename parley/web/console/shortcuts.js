// The console's keyboard shortcuts, one table for both what a key does and the list an agent reads (`?`): a key
// cannot do something the list does not say, nor the list promise a key that does nothing.

import { VIEWS } from "./inbox.js";

/**
 * Each group is `{title, inReplyBox, shortcuts: [{keys, action, does}]}`. The reply box's own keys (`inReplyBox`) are
 * handled by the reply box itself and listed here so that agents find them; every other key works only while the
 * agent is not typing in a field, and never with Ctrl, Alt or Cmd (those stay the browser's).
 */
export const SHORTCUT_GROUPS = [
  {
    title: "Anywhere",
    shortcuts: [
      { keys: ["?"], action: "help", does: "Show these shortcuts" },
      { keys: ["/"], action: "search", does: "Search conversations" },
      { keys: ["j"], action: "next", does: "Open the next conversation in the list" },
      { keys: ["k"], action: "previous", does: "Open the previous conversation in the list" },
      ...VIEWS.map((view, at) => ({ keys: [String(at + 1)], action: `view:${view.id}`, does: `Show ${view.name}` })),
    ],
  },
  {
    title: "In a conversation",
    shortcuts: [
      { keys: ["r"], action: "reply", does: "Write a reply to the visitor" },
      { keys: ["n"], action: "note", does: "Write an internal note (only the team sees it)" },
      { keys: ["e"], action: "resolve", does: "Resolve" },
      { keys: ["p"], action: "pending", does: "Mark pending" },
      { keys: ["s"], action: "snooze", does: "Snooze (choose until when)" },
      { keys: ["o"], action: "reopen", does: "Reopen" },
      { keys: ["a"], action: "assign", does: "Assign to me, or unassign me" },
      { keys: ["l"], action: "labels", does: "Edit the labels" },
      { keys: ["Escape"], action: "back", does: "Back to the list (narrow screens)" },
    ],
  },
  {
    title: "In the reply box",
    inReplyBox: true,
    shortcuts: [
      { keys: ["Enter"], does: "Send the reply, or add the note in note mode" },
      { keys: ["Shift", "Enter"], does: "New line" },
      { keys: ["/"], does: "Canned responses: ↑ ↓ choose, Enter or Tab inserts, Escape closes" },
      { keys: ["Escape"], does: "Leave the reply box, so that the shortcuts above work" },
    ],
  },
];

const byKey = new Map(
  SHORTCUT_GROUPS.filter((group) => !group.inReplyBox).flatMap((group) =>
    group.shortcuts.map((shortcut) => [shortcut.keys[0], shortcut.action]),
  ),
);

const NOT_TEXT = new Set(["button", "checkbox", "radio", "submit", "reset", "range", "color", "file", "image"]);

/** Whether keys pressed in `element` are typing: a text field, a select or editable content. */
export function isTyping(element) {
  if (!element) return false;
  const tag = (element.tagName || "").toLowerCase();
  if (tag === "textarea" || tag === "select" || element.isContentEditable) return true;
  return tag === "input" && !NOT_TEXT.has((element.type || "text").toLowerCase());
}

/** The action a keydown stands for (`{key, ctrlKey, altKey, metaKey}`), or null: none while `typing`, nor with a
 * modifier other than Shift. */
export function actionFor(event, typing) {
  if (typing || event.ctrlKey || event.altKey || event.metaKey) return null;
  return byKey.get(event.key) || null;
}

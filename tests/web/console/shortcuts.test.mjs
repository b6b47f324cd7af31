import assert from "node:assert/strict";
import { test } from "node:test";

import { SHORTCUT_GROUPS, actionFor, isTyping } from "../../../parley/web/console/shortcuts.js";

const key = (k, modifiers = {}) => ({ key: k, ctrlKey: false, altKey: false, metaKey: false, ...modifiers });

test("single keys act on the inbox and the open conversation", () => {
  const actions = ["?", "/", "j", "k", "e", "p", "s", "o", "r", "n", "a", "l", "1", "6", "Escape"].map((k) =>
    actionFor(key(k), false),
  );
  assert.deepEqual(actions, [
    "help",
    "search",
    "next",
    "previous",
    "resolve",
    "pending",
    "snooze",
    "reopen",
    "reply",
    "note",
    "assign",
    "labels",
    "view:mine",
    "view:resolved",
    "back",
  ]);
  assert.equal(actionFor(key("x"), false), null);
  assert.equal(actionFor(key("E"), false), null, "Shift+E is not e");
});

test("no shortcut fires while typing, nor with Ctrl, Alt or Cmd (the browser's)", () => {
  assert.equal(actionFor(key("e"), true), null);
  assert.equal(actionFor(key("?"), true), null);
  assert.equal(actionFor(key("e", { ctrlKey: true }), false), null);
  assert.equal(actionFor(key("r", { metaKey: true }), false), null);
  assert.equal(actionFor(key("1", { altKey: true }), false), null);
});

test("text fields, selects and editable content are typing; buttons and checkboxes are not", () => {
  assert.equal(isTyping({ tagName: "TEXTAREA" }), true);
  assert.equal(isTyping({ tagName: "INPUT", type: "search" }), true);
  assert.equal(isTyping({ tagName: "INPUT", type: "datetime-local" }), true);
  assert.equal(isTyping({ tagName: "SELECT" }), true);
  assert.equal(isTyping({ tagName: "DIV", isContentEditable: true }), true);
  assert.equal(isTyping({ tagName: "BUTTON" }), false);
  assert.equal(isTyping({ tagName: "INPUT", type: "radio" }), false);
  assert.equal(isTyping({ tagName: "BODY" }), false);
  assert.equal(isTyping(null), false);
});

test("every key the list shows does something, and no two do different things", () => {
  const seen = new Map();
  for (const group of SHORTCUT_GROUPS.filter((g) => !g.inReplyBox)) {
    for (const shortcut of group.shortcuts) {
      assert.ok(shortcut.does, shortcut.action);
      assert.equal(actionFor(key(shortcut.keys[0]), false), shortcut.action);
      assert.ok(!seen.has(shortcut.keys[0]), `${shortcut.keys[0]} listed twice`);
      seen.set(shortcut.keys[0], shortcut.action);
    }
  }
  const replyBox = SHORTCUT_GROUPS.find((g) => g.inReplyBox);
  assert.deepEqual(replyBox.shortcuts.map((s) => s.keys.join("+")), ["Enter", "Shift+Enter", "/", "Escape"]);
});

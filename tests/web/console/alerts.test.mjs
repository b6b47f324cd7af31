import assert from "node:assert/strict";
import { test } from "node:test";

import { alertFor, BASE_TITLE, titleFor } from "../../../parley/web/console/alerts.js";

const visitor = { id: "u1", name: "Vera Visitor" };
// As the console names and says them (format.js): the visitor's name, a message's text or its file.
const who = (conversation) => conversation.endUser.name;
const text = (message) => (message.file ? `Image: ${message.file.info.name}` : message.body);
const words = { who, text };
const message = (fields) => ({ event: "message.created", conversationId: "c1", data: { type: "text", body: "Hello?", ...fields } });

test("the title counts the conversations with unread visitor messages", () => {
  assert.equal(titleFor(0), BASE_TITLE);
  assert.equal(titleFor(3), `(3) ${BASE_TITLE}`);
});

test("a visitor's message or a new conversation is told while the tab is hidden, and only then", () => {
  const conversation = { id: "c1", endUser: visitor };
  assert.deepEqual(alertFor(message({ endUser: visitor }), { hidden: true, conversation, ...words }), {
    tag: "c1",
    conversationId: "c1",
    title: "Vera Visitor",
    body: "Hello?",
  });
  assert.equal(alertFor(message({ endUser: visitor }), { hidden: false, conversation, ...words }), null);
  const created = { event: "conversation.created", data: { id: "c2", endUser: visitor } };
  assert.deepEqual(alertFor(created, { hidden: true, ...words }), { tag: "c2", conversationId: "c2", title: "New conversation", body: "Vera Visitor" });
});

test("the team's own messages, notes and the bot's are never told", () => {
  const hidden = { hidden: true, ...words };
  assert.equal(alertFor(message({ agent: { id: "a1", name: "Ann" } }), hidden), null);
  assert.equal(alertFor(message({ agent: { id: "a1" }, type: "note" }), hidden), null);
  assert.equal(alertFor(message({ bot: { id: "b", name: "Bot" } }), hidden), null);
  assert.equal(alertFor({ event: "typing", conversationId: "c1", data: { author: "endUser" } }, hidden), null);
});

test("a long message is cut, a file is named", () => {
  const long = alertFor(message({ endUser: visitor, body: "x".repeat(300) }), { hidden: true, ...words });
  assert.equal(long.body.length, 140);
  assert.ok(long.body.endsWith("…"));
  const file = alertFor(message({ endUser: visitor, type: "file", body: null, file: { type: "image", info: { name: "box", ext: "png" } } }), { hidden: true, ...words });
  assert.match(file.body, /^Image: box/);
  assert.equal(alertFor(message({ endUser: { id: "u2" } }), { hidden: true, ...words }).title, "A visitor", "no name yet, no row");
});

test("an event replayed after a reconnection is not news", () => {
  const now = Date.parse("2026-12-05T12:00:00Z");
  const at = (seconds) => ({ ...message({ endUser: visitor }), createdAt: now / 1000 - seconds });
  assert.notEqual(alertFor(at(5), { hidden: true, now, ...words }), null);
  assert.equal(alertFor(at(600), { hidden: true, now, ...words }), null);
});

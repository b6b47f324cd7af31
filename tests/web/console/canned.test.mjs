import assert from "node:assert/strict";
import { test } from "node:test";

import { OFFERED, insertCanned, matchCanned, slashQuery } from "../../../parley/web/console/canned.js";

const responses = [
  { id: "1", shortcut: "refund", text: "Your refund is on its way: allow 5 working days." },
  { id: "2", shortcut: "hello", text: "Hello! How can I help you today?" },
  { id: "3", shortcut: "shipping-times", text: "Parcels ship within 24 hours." },
  { id: "4", shortcut: "thanks", text: "Thanks for your patience while we check the refund." },
];
const shortcuts = (found) => found.map((r) => r.shortcut);

test("a slash at the start or after a space opens a query that runs to the caret", () => {
  assert.deepEqual(slashQuery("/ref", 4), { start: 0, query: "ref" });
  assert.deepEqual(slashQuery("Hi! /ship", 9), { start: 4, query: "ship" });
  assert.deepEqual(slashQuery("Hi!\n/", 5), { start: 4, query: "" });
  assert.deepEqual(slashQuery("/refund days", 12), { start: 0, query: "refund days" }, "by text: words");
  assert.deepEqual(slashQuery("/ref and more", 4), { start: 0, query: "ref" }, "the caret ends it");
});

test("a slash inside a word, a web address or before a line break opens nothing", () => {
  assert.equal(slashQuery("and/or", 6), null);
  assert.equal(slashQuery("see https://shop.example/orders", 31), null);
  assert.equal(slashQuery("/ref\nmore", 9), null);
  assert.equal(slashQuery("no slash", 8), null);
  assert.equal(slashQuery("/ref", 0), null, "the caret before the slash");
});

test("responses match by shortcut first, then by every word of their text", () => {
  assert.deepEqual(shortcuts(matchCanned(responses, "ref")), ["refund", "thanks"]);
  assert.deepEqual(shortcuts(matchCanned(responses, "times")), ["shipping-times"], "within a shortcut");
  assert.deepEqual(shortcuts(matchCanned(responses, "HOW help")), ["hello"], "case and order do not matter");
  assert.deepEqual(shortcuts(matchCanned(responses, "refund patience")), ["thanks"]);
  assert.deepEqual(shortcuts(matchCanned(responses, "nothing like it")), []);
});

test("a bare slash offers every response, by shortcut, at most a screenful", () => {
  assert.deepEqual(shortcuts(matchCanned(responses, "")), ["hello", "refund", "shipping-times", "thanks"]);
  const many = Array.from({ length: 20 }, (_, n) => ({ id: `${n}`, shortcut: `s${String(n).padStart(2, "0")}`, text: "" }));
  assert.equal(matchCanned(many, "").length, OFFERED);
});

test("the chosen response replaces the slash and its query, and the caret follows it for editing", () => {
  const text = "Hi Ann! /ref see you";
  const caret = 12;
  const slash = slashQuery(text, caret);
  const inserted = insertCanned(text, caret, slash, responses[0]);
  assert.equal(inserted.text, "Hi Ann! Your refund is on its way: allow 5 working days. see you");
  assert.equal(inserted.text.slice(0, inserted.caret), "Hi Ann! Your refund is on its way: allow 5 working days.");
});

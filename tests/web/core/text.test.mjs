import assert from "node:assert/strict";
import { test } from "node:test";

import { fileName, linkify, size, uuid, when } from "../../../parley/web/core/text.js";

test("http and https addresses become links, the words around them stay text", () => {
  assert.deepEqual(linkify("See https://example.com/a?b=1 and http://x.org."), [
    { text: "See " },
    { href: "https://example.com/a?b=1", text: "https://example.com/a?b=1" },
    { text: " and " },
    { href: "http://x.org", text: "http://x.org" },
    { text: "." },
  ]);
});

test("trailing punctuation ends a link, a parenthesis the link opened stays in it", () => {
  assert.deepEqual(linkify("(see https://example.com/docs),"), [
    { text: "(see " },
    { href: "https://example.com/docs", text: "https://example.com/docs" },
    { text:")," },
  ]);
  assert.deepEqual(linkify("https://en.wikipedia.org/wiki/Go_(game)!"), [
    { href: "https://en.wikipedia.org/wiki/Go_(game)", text: "https://en.wikipedia.org/wiki/Go_(game)" },
    { text: "!" },
  ]);
});

test("other schemes and markup are never links: HTML stays literal text", () => {
  const html = '<a href="javascript:alert(1)">x</a> ftp://files.example.com www.example.com';
  assert.deepEqual(linkify(html), [{ text: html }]);
  assert.deepEqual(linkify('<img src="https://evil.example/x.png">'), [
    { text: '<img src="' },
    { href: "https://evil.example/x.png", text: "https://evil.example/x.png" },
    { text: '">' },
  ]);
  assert.deepEqual(linkify("just https:// alone"), [{ text: "just https:// alone" }]);
  assert.deepEqual(linkify(""), [{ text: "" }]);
});

test("uuids are version 4 and distinct", () => {
  const made = new Set(Array.from({ length: 100 }, uuid));
  assert.equal(made.size, 100);
  for (const id of made) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test("sizes, file names and dates read as people say them", () => {
  assert.equal(size(512), "512 B");
  assert.equal(size(2662), "2.6 KB");
  assert.equal(size(3 * 1048576), "3.0 MB");
  assert.equal(fileName({ name: "receipt", ext: "png" }), "receipt.png");
  assert.equal(fileName({ name: "notes.pdf", ext: "pdf" }), "notes.pdf");
  const noon = new Date(2026, 0, 15, 12, 0).getTime();
  assert.match(when(noon / 1000, noon), /12/);
  assert.doesNotMatch(when(noon / 1000 - 3 * 86400, noon), /12:00/);
});

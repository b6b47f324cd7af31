import assert from "node:assert/strict";
import { test } from "node:test";

import { createTimeline, keyOf } from "../../../parley/web/core/timeline.js";

const visitor = { id: "v1" };
const agent = { id: "a1", name: "Ann" };
let serial = 0;
const stored = (microseconds, fields = {}) => ({
  id: `m${microseconds}`,
  uuid: `uuid-${microseconds}`,
  type: "text",
  body: `message ${microseconds}`,
  status: "sent",
  microseconds,
  endUser: visitor,
  agent: null,
  bot: null,
  ...fields,
});
const pending = (fields = {}) => ({ uuid: `p${++serial}`, type: "text", body: "pending", endUser: visitor, pending: true, ...fields });
const keys = (timeline) => timeline.messages().map(keyOf);

test("messages are ordered by the server's microseconds whatever order they arrive in", () => {
  const timeline = createTimeline();
  timeline.upsertMany([stored(30), stored(10), stored(20)]);
  assert.deepEqual(keys(timeline), ["m10", "m20", "m30"]);
  const [change] = timeline.upsert(stored(15));
  assert.deepEqual(keys(timeline), ["m10", "m15", "m20", "m30"]);
  assert.equal(change.before, "m20");
  assert.equal(change.previous, null);
});

test("the same message from history and from a live event is held once", () => {
  const timeline = createTimeline();
  timeline.upsert(stored(10));
  const changes = timeline.upsert(stored(10, { body: "message 10" }));
  assert.equal(timeline.size, 1);
  assert.equal(changes.length, 1);
  assert.equal(changes[0].previous.id, "m10");
});

test("pending copies wait after the stored messages, and take their place by uuid once stored", () => {
  const timeline = createTimeline();
  timeline.upsert(stored(10));
  const first = pending();
  const second = pending();
  timeline.upsert(first);
  timeline.upsert(second);
  timeline.upsert(stored(20, { endUser: null, agent })); // the agent's answer arrives meanwhile
  assert.deepEqual(keys(timeline), ["m10", "m20", `u:${first.uuid}`, `u:${second.uuid}`]);

  const [change] = timeline.upsert(stored(30, { id: "mine", uuid: first.uuid }));
  assert.deepEqual(keys(timeline), ["m10", "m20", "mine", `u:${second.uuid}`]);
  assert.equal(change.key, "mine");
  assert.equal(change.previousKey, `u:${first.uuid}`);
  assert.equal(change.before, `u:${second.uuid}`);
  assert.equal(change.message.pending, undefined, "the stored message replaces the pending copy's fields");
});

test("a message sent late takes its place by the server's order, not where it was written", () => {
  const timeline = createTimeline();
  const late = pending();
  timeline.upsert(late);
  timeline.upsert(stored(50, { endUser: null, agent }));
  timeline.upsert(stored(40, { id: "late", uuid: late.uuid }));
  assert.deepEqual(keys(timeline), ["late", "m50"]);
});

test("local changes merge into the message they name, and are ignored for messages not held", () => {
  const timeline = createTimeline();
  const copy = pending();
  timeline.upsert(copy);
  const [change] = timeline.upsert({ uuid: copy.uuid, pending: false, failed: true, error: "Not sent." });
  assert.equal(change.message.body, "pending");
  assert.equal(change.message.failed, true);
  assert.deepEqual(timeline.upsert({ uuid: "unknown", failed: true }), []);
  assert.equal(timeline.size, 1);
});

test("a status only moves forward", () => {
  const timeline = createTimeline();
  timeline.upsert(stored(10, { status: "read" }));
  timeline.upsert(stored(10, { status: "delivered" }));
  assert.equal(timeline.find((m) => m.id === "m10").status, "read");
  timeline.upsert(stored(20, { status: "sent" }));
  timeline.upsert(stored(20, { status: "delivered" }));
  assert.equal(timeline.find((m) => m.id === "m20").status, "delivered");
});

test("a read receipt for one message reads every earlier message of that side, and nothing of the other", () => {
  const timeline = createTimeline();
  timeline.upsertMany([
    stored(10, { status: "read" }),
    stored(20),
    stored(25, { endUser: null, agent, status: "delivered" }),
    stored(30, { status: "delivered" }),
    stored(40),
    stored(50),
  ]);
  const changes = timeline.upsert(stored(40, { status: "read" }));
  assert.deepEqual(changes.map((c) => c.key), ["m40", "m30", "m20"]);
  assert.deepEqual(
    timeline.messages().map((m) => [m.id, m.status]),
    [["m10", "read"], ["m20", "read"], ["m25", "delivered"], ["m30", "read"], ["m40", "read"], ["m50", "sent"]],
  );
});

test("older pages go before what is held, and the oldest cursor moves back", () => {
  const timeline = createTimeline();
  timeline.upsertMany([stored(300), stored(400)]);
  assert.equal(timeline.oldest(), 300);
  const changes = timeline.upsertMany([stored(100), stored(200)]);
  assert.deepEqual(keys(timeline), ["m100", "m200", "m300", "m400"]);
  assert.deepEqual(changes.map((c) => c.before), ["m300", "m300"]);
  assert.equal(timeline.oldest(), 100);
  assert.equal(timeline.newest(), 400);
  assert.equal(timeline.findLast((m) => m.microseconds < 300).id, "m200");
  assert.equal(timeline.find((m) => m.microseconds > 100).id, "m200");
});

test("changes report exactly what changed, so a renderer touches nothing else", () => {
  const timeline = createTimeline();
  timeline.upsertMany(Array.from({ length: 100 }, (_, i) => stored(i + 1)));
  const changes = timeline.upsert(stored(100, { status: "delivered" }));
  assert.deepEqual(changes.map((c) => c.key), ["m100"]);
  assert.equal(changes[0].previous.status, "sent");
  assert.equal(changes[0].message.status, "delivered");
});

test("clearing forgets everything; messages() is a copy", () => {
  const timeline = createTimeline();
  timeline.upsert(stored(10));
  timeline.messages().pop();
  assert.equal(timeline.size, 1);
  timeline.clear();
  assert.equal(timeline.size, 0);
  assert.equal(timeline.oldest(), null);
});

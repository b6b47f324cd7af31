import assert from "node:assert/strict";
import { test } from "node:test";

import { activityText, interleave, mergeActivity } from "../../../parley/web/console/activity.js";

const ME = "agent-me";
const bea = { id: "agent-bea", name: "Bea" };
const me = { id: ME, name: "Demo Agent" };
const said = (fields) =>
  activityText(
    { id: "a", conversationId: "c", agent: null, status: null, snoozedUntil: null, labels: null, ...fields },
    { meId: ME, visitor: "Amber Fox", wakeTime: (seconds) => `@${seconds}` },
  );
const byAgent = (agent) => ({ type: "agent", agentId: agent.id, name: agent.name });

test("assignments say who gave the conversation to whom", () => {
  assert.equal(said({ kind: "assigned", actor: byAgent(me), agent: me }), "You took the conversation");
  assert.equal(said({ kind: "assigned", actor: byAgent(bea), agent: bea }), "Bea took the conversation");
  assert.equal(said({ kind: "assigned", actor: byAgent(bea), agent: me }), "Bea assigned the conversation to you");
  assert.equal(said({ kind: "assigned", actor: { type: "api" }, agent: bea }), "The API assigned the conversation to Bea");
  assert.equal(said({ kind: "assigned", actor: { type: "system" }, agent: bea }), "Assigned to Bea automatically");
  assert.equal(said({ kind: "unassigned", actor: byAgent(bea), agent: bea }), "Bea released the conversation");
  assert.equal(said({ kind: "unassigned", actor: byAgent(bea), agent: me }), "Bea unassigned you");
  assert.equal(said({ kind: "unassigned", actor: { type: "api" }, agent: bea }), "The API unassigned Bea");
  assert.equal(said({ kind: "unassigned", actor: byAgent(bea) }), "Bea unassigned the conversation");
  assert.equal(said({ kind: "locked", actor: byAgent(me) }), "You locked the conversation");
  assert.equal(said({ kind: "unlocked", actor: { type: "api" } }), "The API unlocked the conversation");
});

test("status changes say who, and why a conversation opened again", () => {
  assert.equal(said({ kind: "status", actor: byAgent(bea), status: "resolved" }), "Bea resolved the conversation");
  assert.equal(said({ kind: "status", actor: byAgent(me), status: "pending" }), "You marked the conversation pending");
  assert.equal(
    said({ kind: "status", actor: byAgent(bea), status: "snoozed", snoozedUntil: 1800000000 }),
    "Bea snoozed the conversation until @1800000000",
  );
  assert.equal(
    said({ kind: "status", actor: { type: "visitor" }, status: "open" }),
    "Amber Fox wrote again: the conversation is open again",
  );
  assert.equal(
    said({ kind: "status", actor: { type: "system" }, status: "open" }),
    "The snooze ended: the conversation is open again",
  );
  assert.equal(said({ kind: "status", actor: byAgent(bea), status: "open" }), "Bea reopened the conversation");
});

test("labels say what they became", () => {
  assert.equal(said({ kind: "labels", actor: byAgent(bea), labels: ["billing", "vip"] }), "Bea set the labels: billing, vip");
  assert.equal(said({ kind: "labels", actor: byAgent(bea), labels: [] }), "Bea removed the labels");
});

const message = (microseconds) => ({ id: `m${microseconds}`, microseconds });
const activity = (microseconds) => ({ id: `a${microseconds}`, microseconds, actor: { type: "system" } });
const order = (entries) => entries.map((entry) => entry.id || entry.uuid);

test("activities sit after the messages their clock had reached, before later ones and messages being sent", () => {
  const pending = { uuid: "u1", pending: true };
  const entries = interleave([message(10), message(20), message(30), pending], [activity(5), activity(20), activity(31)], false);
  assert.deepEqual(order(entries), ["a5", "m10", "m20", "a20", "m30", "a31", "u1"]);
});

test("while older history is unloaded, older activities wait with it", () => {
  const entries = interleave([message(10), message(20)], [activity(5), activity(15)], true);
  assert.deepEqual(order(entries), ["m10", "a15", "m20"]);
  assert.deepEqual(order(interleave([], [activity(5)], true)), []);
  assert.deepEqual(order(interleave([], [activity(5)], false)), ["a5"]);
  const messages = [message(10)];
  assert.equal(interleave(messages, [], false), messages, "nothing to add: the messages as they are");
});

test("pages of activity merge into one list, each entry once, in clock order", () => {
  const held = [activity(10), activity(30)];
  const merged = mergeActivity(held, [activity(30), activity(40), activity(20)]);
  assert.deepEqual(merged.map((a) => a.id), ["a10", "a20", "a30", "a40"]);
  assert.deepEqual(held.map((a) => a.id), ["a10", "a30"], "what was held is not changed");
});

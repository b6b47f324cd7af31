import assert from "node:assert/strict";
import { test } from "node:test";

import { VIEWS, compareRows, inView, listQuery, rowsFor } from "../../../parley/web/console/inbox.js";

const ME = "agent-me";
const conversation = (fields) => ({ id: "c", status: "open", assignedAgent: null, labels: [], createdAt: 1000, ...fields });
const row = (fields, lastAt = null) => ({
  conversation: conversation(fields),
  lastMessage: lastAt === null ? null : { microseconds: lastAt * 1e6 },
});

test("each view holds the conversations its name says, for the agent looking", () => {
  const mine = conversation({ assignedAgent: { id: ME } });
  const theirs = conversation({ assignedAgent: { id: "agent-bea" } });
  const nobodys = conversation({});
  const holds = (view) => [mine, theirs, nobodys].map((c) => inView(c, { view }, ME));
  assert.deepEqual(holds("mine"), [true, false, false]);
  assert.deepEqual(holds("unassigned"), [false, false, true]);
  assert.deepEqual(holds("open"), [true, true, true]);
  for (const status of ["pending", "snoozed", "resolved"]) {
    assert.deepEqual(holds(status), [false, false, false], status);
    assert.equal(inView(conversation({ status, assignedAgent: { id: ME } }), { view: status }, ME), true);
    assert.equal(inView(conversation({ status }), { view: "mine" }, ME), false, "Mine holds open ones only");
  }
});

test("a resolved conversation leaves the open views and comes back when it is open again", () => {
  const resolved = conversation({ status: "resolved" });
  assert.deepEqual(["unassigned", "open", "resolved"].map((view) => inView(resolved, { view }, ME)), [false, false, true]);
  const reopened = { ...resolved, status: "open" };
  assert.deepEqual(["unassigned", "open", "resolved"].map((view) => inView(reopened, { view }, ME)), [true, true, false]);
});

test("a label narrows any view to the conversations carrying it", () => {
  const billing = conversation({ labels: ["billing", "vip"] });
  const other = conversation({ labels: ["shipping"] });
  assert.equal(inView(billing, { view: "open", label: "billing" }, ME), true);
  assert.equal(inView(other, { view: "open", label: "billing" }, ME), false);
  assert.equal(inView(other, { view: "open", label: null }, ME), true);
});

test("the list's query asks the server for the same view, label and order", () => {
  assert.equal(
    listQuery({ view: "mine", label: "vip", sort: "waiting" }, { limit: 100 }),
    "?status=open&assignee=me&label=vip&sort=waiting&limit=100",
  );
  assert.equal(
    listQuery({ view: "snoozed", label: null, sort: "newest" }, { after: "c 9", limit: 50 }),
    "?status=snoozed&sort=newest&after=c+9&limit=50",
  );
  assert.deepEqual(VIEWS.map((view) => view.id), ["mine", "unassigned", "open", "pending", "snoozed", "resolved"]);
});

test("newest puts the most recently active first; waiting puts the longest wait first and those not waiting last", () => {
  const quiet = row({ id: "quiet", waitingSince: null, createdAt: 50 }, 500);
  const longWait = row({ id: "long", waitingSince: 100 }, 100);
  const shortWait = row({ id: "short", waitingSince: 300 }, 300);
  const fresh = row({ id: "fresh", waitingSince: null, createdAt: 900 });
  const ids = (rows) => rows.map((r) => r.conversation.id);
  const all = [quiet, longWait, shortWait, fresh];
  assert.deepEqual(ids([...all].sort(compareRows("newest"))), ["fresh", "quiet", "short", "long"]);
  assert.deepEqual(ids([...all].sort(compareRows("waiting"))), ["long", "short", "fresh", "quiet"]);
});

test("rowsFor filters and orders in one step", () => {
  const rows = [
    row({ id: "a", status: "resolved" }, 10),
    row({ id: "b", labels: ["vip"] }, 20),
    row({ id: "c", labels: ["vip"] }, 30),
  ];
  const shown = rowsFor(rows, { view: "open", label: "vip", sort: "newest" }, ME);
  assert.deepEqual(shown.map((r) => r.conversation.id), ["c", "b"]);
});

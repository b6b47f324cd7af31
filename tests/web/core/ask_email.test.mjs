import assert from "node:assert/strict";
import { test } from "node:test";

import { askEmailAt } from "../../../parley/web/core/ask_email.js";

const visitor = { id: "v", email: null };
const base = { me: visitor, settings: { askEmailAfterSeconds: 60 }, away: false, lastVisitorAt: 1_000_000, lastAgentAt: 0, dismissed: false };

test("a message unanswered is asked about after askEmailAfterSeconds, at once while the team is away", () => {
  assert.equal(askEmailAt(base), 1_060_000);
  assert.equal(askEmailAt({ ...base, away: true }), 1_000_000);
  assert.equal(askEmailAt({ ...base, settings: { askEmailAfterSeconds: 0 } }), 1_000_000);
  assert.equal(askEmailAt({ ...base, settings: {} }), 1_060_000, "60 s when the server says nothing");
});

test("never before the visitor wrote, once an agent answered, with an email, or after a no", () => {
  assert.equal(askEmailAt({ ...base, lastVisitorAt: 0 }), null);
  assert.equal(askEmailAt({ ...base, lastAgentAt: 1_000_500 }), null);
  assert.equal(askEmailAt({ ...base, lastAgentAt: 999_000 }), 1_060_000, "an answer to an earlier message is not one");
  assert.equal(askEmailAt({ ...base, me: { ...visitor, email: "v@example.net" } }), null);
  assert.equal(askEmailAt({ ...base, dismissed: true, away: true }), null);
  assert.equal(askEmailAt({ ...base, me: null }), null);
});

import assert from "node:assert/strict";
import { test } from "node:test";

import { createDrafts } from "../../../parley/web/console/drafts.js";
import { MemoryStorage } from "../core/fakes.mjs";

test("a note's draft is kept apart from the reply's, per agent and conversation", () => {
  const storage = new MemoryStorage();
  const drafts = createDrafts("agent-1", storage);
  drafts.save("c1", "Dear visitor");
  drafts.save("c1", "Team: they paid twice", "note");
  assert.equal(drafts.load("c1"), "Dear visitor");
  assert.equal(drafts.load("c1", "reply"), "Dear visitor");
  assert.equal(drafts.load("c1", "note"), "Team: they paid twice");
  assert.equal(drafts.load("c2", "note"), "");
  assert.equal(createDrafts("agent-2", storage).load("c1", "note"), "", "another agent's drafts stay theirs");

  drafts.save("c1", "  ", "note");
  assert.equal(drafts.load("c1", "note"), "", "an emptied draft is gone");
  assert.equal(drafts.load("c1"), "Dear visitor");
});

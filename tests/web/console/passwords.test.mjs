import assert from "node:assert/strict";
import { test } from "node:test";

import { MIN_PASSWORD_LENGTH, passwordProblem } from "../../../parley/web/console/passwords.js";

test("a password shorter than the server takes is refused before it is sent", () => {
  const short = "x".repeat(MIN_PASSWORD_LENGTH - 1);
  assert.equal(passwordProblem(short, short), "The password needs at least 10 characters.");
});

test("the password typed twice must be the same", () => {
  assert.equal(passwordProblem("correct horse battery", "correct horse batery"), "The two passwords differ.");
});

test("a long enough password typed the same twice may go", () => {
  const enough = "x".repeat(MIN_PASSWORD_LENGTH);
  assert.equal(passwordProblem(enough, enough), "");
});

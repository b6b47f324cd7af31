import assert from "node:assert/strict";
import { test } from "node:test";

import { createTypingIndicator, createTypingSignal, debounce } from "../../../parley/web/core/timers.js";
import { FakeClock } from "./fakes.mjs";

function typingHarness() {
  const clock = new FakeClock();
  const posted = [];
  const signal = createTypingSignal({ post: (typing) => posted.push([clock.now, typing]), timers: clock, now: () => clock.now });
  return { clock, posted, signal };
}

test("typing is said once every 3 seconds at most, and 'stopped' after 4 idle seconds", () => {
  const { clock, posted, signal } = typingHarness();
  clock.now = 10_000;
  for (let i = 0; i < 8; i++) {
    signal.input();
    clock.tick(500);
  }
  clock.tick(5000);
  assert.deepEqual(posted, [[10_000, true], [13_500, true], [17_500, false]]);
});

test("sending stops the typing signal at once, and only if it was said", () => {
  const { clock, posted, signal } = typingHarness();
  signal.stop();
  assert.deepEqual(posted, []);
  clock.now = 5000;
  signal.input();
  signal.stop();
  clock.tick(10_000);
  assert.deepEqual(posted, [[5000, true], [5000, false]]);
});

test("their typing fades after a silence, and a fresh word of it keeps it on", () => {
  const clock = new FakeClock();
  const seen = [];
  const indicator = createTypingIndicator({ onChange: (on) => seen.push([clock.now, on]), timers: clock });
  indicator.show(true);
  clock.tick(5000);
  indicator.show(true);
  clock.tick(7000);
  indicator.show(false);
  assert.deepEqual(seen, [[0, true], [5000, true], [11_000, false], [12_000, false]]);
});

test("a debounced action runs once, after the burst", () => {
  const clock = new FakeClock();
  const runs = [];
  const later = debounce((value) => runs.push([clock.now, value]), 150, clock);
  later(1);
  clock.tick(100);
  later(2);
  clock.tick(100);
  later(3);
  clock.tick(1000);
  assert.deepEqual(runs, [[350, 3]]);
});

test("an alarm rings once at its time, a new time replaces the old, and a far time waits in steps", async () => {
  const { createAlarm, MAX_TIMEOUT_MS } = await import("../../../parley/web/core/timers.js");
  const clock = new FakeClock();
  const rang = [];
  const alarm = createAlarm(() => rang.push(clock.now), { timers: clock, now: () => clock.now });
  alarm.at(5000);
  alarm.at(3000);
  clock.tick(10_000);
  assert.deepEqual(rang, [3000]);
  alarm.at(clock.now + 1000);
  alarm.at(null);
  clock.tick(5000);
  assert.deepEqual(rang, [3000]);
  const far = clock.now + MAX_TIMEOUT_MS + 1000;
  alarm.at(far);
  clock.tick(MAX_TIMEOUT_MS);
  assert.deepEqual(rang, [3000], "not yet: it waits on");
  clock.tick(1000);
  assert.deepEqual(rang, [3000, far]);
});

import assert from "node:assert/strict";
import { test } from "node:test";

import { RETRY_MAX_MS, backoff, createSocket } from "../../../parley/web/core/socket.js";
import { FakeClock, FakeWindow, fakeWebSockets } from "./fakes.mjs";

function harness({ online = true, after = 0 } = {}) {
  const clock = new FakeClock();
  const { FakeWebSocket, opened } = fakeWebSockets();
  const window = new FakeWindow();
  const events = [];
  const states = [];
  const network = { online };
  const socket = createSocket({
    url: (cursor) => `ws://chat/ws?after=${cursor}`,
    cursorOf: (event) => event.microseconds,
    onEvent: (event) => events.push(event),
    onState: (state) => states.push(state),
    after,
    WebSocket: FakeWebSocket,
    timers: clock,
    random: () => 1, // the longest wait of each step: the cap is visible
    window,
    isOnline: () => network.online,
  });
  return { clock, opened, window, events, states, network, socket };
}

test("a dropped socket reconnects after the last position seen, so the server replays only what was missed", () => {
  const { clock, opened, events, socket } = harness({ after: 7 });
  socket.start();
  assert.equal(opened[0].url, "ws://chat/ws?after=7");
  opened[0].accept();
  opened[0].receive({ event: "message.created", microseconds: 10 });
  opened[0].receive({ event: "typing", data: { typing: true } }); // typing has no position: the cursor stays
  opened[0].receive("not json");
  opened[0].receive({ event: "message.created", microseconds: 12 });
  assert.deepEqual(events.map((e) => e.event), ["message.created", "typing", "message.created"]);
  opened[0].drop();
  clock.tick(clock.nextDelay());
  assert.equal(opened.length, 2);
  assert.equal(opened[1].url, "ws://chat/ws?after=12");
});

test("a cursor never moves back: a late replayed frame leaves it where it was", () => {
  const { clock, opened, socket } = harness({ after: 50 });
  socket.start();
  opened[0].accept();
  opened[0].receive({ event: "message.status_changed", microseconds: 20 });
  opened[0].drop();
  clock.tick(clock.nextDelay());
  assert.equal(opened[1].url, "ws://chat/ws?after=50");
});

test("retries back off exponentially with jitter, capped at 30 seconds, and start over after a success", () => {
  const { clock, opened, states, socket } = harness();
  socket.start();
  const waits = [];
  for (let i = 0; i < 9; i++) {
    opened.at(-1).drop();
    waits.push(clock.nextDelay());
    clock.tick(clock.nextDelay());
  }
  assert.deepEqual(waits, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  assert.ok(states.some((s) => s.state === "connecting" && s.reconnected));
  opened.at(-1).accept();
  assert.deepEqual(states.at(-1), { state: "open", reconnected: true, resumed: false });
  opened.at(-1).drop();
  assert.equal(clock.nextDelay(), 500);
});

test("jitter takes up to half of each wait off", () => {
  assert.equal(backoff(0, () => 0), 250);
  assert.equal(backoff(3, () => 0.5), 3000);
  assert.equal(backoff(20, () => 0), RETRY_MAX_MS / 2);
});

test("the browser's online event reconnects at once, from the shortest wait", () => {
  const { clock, opened, window, network, states, socket } = harness();
  socket.start();
  for (let i = 0; i < 5; i++) {
    opened.at(-1).drop();
    clock.tick(clock.nextDelay());
  }
  network.online = false;
  window.fire("offline");
  opened.at(-1).drop();
  clock.tick(clock.nextDelay());
  assert.equal(states.at(-1).state, "offline");
  const count = opened.length;
  network.online = true;
  window.fire("online");
  assert.equal(opened.length, count + 1, "no wait for the timer");
  assert.equal(clock.nextDelay(), undefined);
  opened.at(-1).drop();
  assert.equal(clock.nextDelay(), 500);
});

test("going offline drops an open socket at once instead of waiting for it to fail", () => {
  const { opened, window, states, socket } = harness();
  socket.start();
  opened[0].accept();
  window.fire("offline");
  assert.equal(opened[0].closedByClient, true);
  assert.equal(states.at(-1).state, "waiting");
});

for (const code of [4401, 4403]) {
  test(`close code ${code} ends the socket and is reported`, () => {
    const { clock, opened, window, states, socket } = harness();
    socket.start();
    opened[0].drop(code, "refused");
    assert.deepEqual(states.at(-1), { state: "refused", code, reason: "refused" });
    clock.tick(60_000);
    window.fire("online");
    assert.equal(opened.length, 1, "never reopened");
  });
}

test("stop closes the socket and cancels any retry", () => {
  const { clock, opened, window, socket } = harness();
  socket.start();
  opened[0].drop();
  socket.stop();
  clock.tick(60_000);
  window.fire("online");
  assert.equal(opened.length, 1);
  socket.start();
  opened[1].accept();
  socket.stop();
  assert.equal(opened[1].closedByClient, true);
});

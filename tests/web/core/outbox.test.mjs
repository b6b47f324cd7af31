import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError } from "../../../parley/web/core/api.js";
import { createOutbox } from "../../../parley/web/core/outbox.js";
import { MemoryStorage } from "./fakes.mjs";

const KEY = "parley:outbox";
const entry = (n) => ({ uuid: `u${n}`, text: `text ${n}`, createdAt: 1000 + n });

/** A server that stores what it is sent, or fails while `down` (a network error) or with `refuse` for a uuid. */
function fakeServer() {
  const server = { stored: [], down: false, refuse: new Map(), calls: 0 };
  server.send = async (sent) => {
    server.calls += 1;
    if (server.down) throw new ApiError(0, "network", "Can't reach the chat server.");
    if (server.refuse.has(sent.uuid)) throw server.refuse.get(sent.uuid);
    const message = { id: `id-${sent.uuid}`, uuid: sent.uuid, body: sent.text, microseconds: server.stored.length + 1 };
    server.stored.push(message);
    return message;
  };
  return server;
}

function outboxFor(storage, server, log = []) {
  return createOutbox({
    storage,
    key: KEY,
    send: server.send,
    onSent: (sent, message) => log.push(["sent", sent.uuid, message && message.id]),
    onWaiting: (waiting, error) => log.push(["waiting", waiting.uuid, error.code]),
    onFailed: (failed, error) => log.push(["failed", failed.uuid, error.code]),
  });
}

test("messages are sent in the order written, and leave the outbox once stored", async () => {
  const storage = new MemoryStorage();
  const server = fakeServer();
  const log = [];
  const outbox = outboxFor(storage, server, log);
  await Promise.all([outbox.add(entry(1)), outbox.add(entry(2)), outbox.add(entry(3))]);
  assert.deepEqual(server.stored.map((m) => m.uuid), ["u1", "u2", "u3"]);
  assert.deepEqual(log, [["sent", "u1", "id-u1"], ["sent", "u2", "id-u2"], ["sent", "u3", "id-u3"]]);
  assert.deepEqual(outbox.entries(), []);
  assert.equal(storage.getItem(KEY), null);
});

test("written offline, they survive a reload and are sent in order when the connection returns", async () => {
  const storage = new MemoryStorage();
  const server = fakeServer();
  server.down = true;
  const log = [];
  const before = outboxFor(storage, server, log);
  await before.add(entry(1));
  await before.add(entry(2));
  assert.deepEqual(log, [["waiting", "u1", "network"], ["waiting", "u1", "network"]], "the first blocks the rest");
  assert.deepEqual(JSON.parse(storage.getItem(KEY)).map((e) => e.text), ["text 1", "text 2"]);

  const afterReload = outboxFor(storage, server);
  assert.deepEqual(afterReload.entries().map((e) => e.uuid), ["u1", "u2"]);
  server.down = false;
  await afterReload.flush();
  assert.deepEqual(server.stored.map((m) => m.body), ["text 1", "text 2"]);
  assert.equal(storage.getItem(KEY), null);
});

test("a 409 for a uuid already stored counts as sent: a repeat whose first answer was lost stores nothing twice", async () => {
  const storage = new MemoryStorage();
  const server = fakeServer();
  server.refuse.set("u1", new ApiError(409, "uuid_conflict", "That uuid is taken."));
  const log = [];
  await outboxFor(storage, server, log).add(entry(1));
  assert.deepEqual(log, [["sent", "u1", null]]);
  assert.equal(storage.getItem(KEY), null);
});

test("a refused message stays, marked, without holding up the next ones, until it is retried", async () => {
  const storage = new MemoryStorage();
  const server = fakeServer();
  server.refuse.set("u1", new ApiError(422, "validation_error", "Too long."));
  const log = [];
  const outbox = outboxFor(storage, server, log);
  await outbox.add(entry(1));
  await outbox.add(entry(2));
  assert.deepEqual(log, [["failed", "u1", "validation_error"], ["sent", "u2", "id-u2"]]);
  assert.deepEqual(outbox.entries(), [{ ...entry(1), failed: "Too long." }]);
  assert.deepEqual(outboxFor(storage, server).entries(), [{ ...entry(1), failed: "Too long." }], "kept across a reload");

  server.refuse.delete("u1");
  await outbox.retry("u1");
  assert.deepEqual(server.stored.map((m) => m.uuid), ["u2", "u1"]);
  assert.deepEqual(outbox.entries(), []);
});

test("overload and rate limits are waited out like a lost connection", async () => {
  const server = fakeServer();
  const log = [];
  const outbox = outboxFor(new MemoryStorage(), server, log);
  server.refuse.set("u1", new ApiError(503, "error", "Unavailable"));
  await outbox.add(entry(1));
  server.refuse.set("u1", new ApiError(429, "rate_limited", "Slow down"));
  await outbox.flush();
  assert.deepEqual(log, [["waiting", "u1", "error"], ["waiting", "u1", "rate_limited"]]);
  server.refuse.delete("u1");
  await outbox.flush();
  assert.deepEqual(server.stored.map((m) => m.uuid), ["u1"]);
});

test("a flush while one runs sends each message once", async () => {
  const server = fakeServer();
  const outbox = outboxFor(new MemoryStorage(), server);
  server.down = true;
  await outbox.add(entry(1));
  server.down = false;
  await Promise.all([outbox.flush(), outbox.flush(), outbox.add(entry(2)), outbox.flush()]);
  assert.deepEqual(server.stored.map((m) => m.uuid), ["u1", "u2"]);
});

test("storage that refuses or holds garbage leaves a working outbox", async () => {
  const broken = {
    getItem: () => "{not json",
    setItem: () => {
      throw new Error("QuotaExceededError");
    },
    removeItem: () => {},
  };
  const server = fakeServer();
  const outbox = outboxFor(broken, server);
  assert.deepEqual(outbox.entries(), []);
  await outbox.add(entry(1));
  assert.deepEqual(server.stored.map((m) => m.uuid), ["u1"]);
});

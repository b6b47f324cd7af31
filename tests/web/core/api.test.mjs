import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError, createApi } from "../../../parley/web/core/api.js";

/** A fetch that records each request and answers `status` with `body` as JSON (or throws, offline). */
function fakeFetch(status, body) {
  const requests = [];
  const fetch = async (url, init) => {
    requests.push({ url, ...init });
    if (status === null) throw new TypeError("Failed to fetch");
    return new Response(typeof body === "string" ? body : JSON.stringify(body), { status });
  };
  return { fetch, requests };
}

test("a call answers the envelope's data, with the current token and a JSON body", async () => {
  const { fetch, requests } = fakeFetch(200, { status: 200, data: { id: "m1" } });
  let token = "first";
  const api = createApi({ base: "https://chat.example/api/widget/v1", token: () => token, fetch });
  assert.deepEqual(await api.call("POST", "/messages", { uuid: "u", text: "hi" }), { id: "m1" });
  token = "second";
  await api.call("GET", "/messages?limit=1");
  assert.equal(requests[0].url, "https://chat.example/api/widget/v1/messages");
  assert.deepEqual(requests[0].headers, { Authorization: "Bearer first", "Content-Type": "application/json" });
  assert.equal(requests[0].body, '{"uuid":"u","text":"hi"}');
  assert.deepEqual(requests[1].headers, { Authorization: "Bearer second" });
});

test("without a token no Authorization is sent, and FormData passes through untouched", async () => {
  const { fetch, requests } = fakeFetch(200, { status: 200, data: null });
  const api = createApi({ base: "/api", token: () => null, fetch });
  const form = new FormData();
  form.append("uuid", "u");
  await api.call("POST", "/files", form);
  assert.deepEqual(requests[0].headers, {});
  assert.equal(requests[0].body, form);
});

test("an error envelope becomes an ApiError with its status, code and message", async () => {
  const { fetch } = fakeFetch(423, { status: 423, error: { code: "conversation_locked", message: "Locked." } });
  const api = createApi({ base: "/api", token: () => "t", fetch });
  await assert.rejects(api.call("POST", "/messages", {}), (error) => {
    assert.ok(error instanceof ApiError);
    assert.deepEqual([error.status, error.code, error.message], [423, "conversation_locked", "Locked."]);
    return true;
  });
});

test("a body that is not an envelope still gives a readable error", async () => {
  const api = createApi({ base: "/api", token: () => "t", fetch: fakeFetch(502, "<html>Bad gateway</html>").fetch });
  await assert.rejects(api.call("GET", "/x"), { status: 502, code: "error", message: "Something went wrong (502)." });
  const limited = createApi({ base: "/api", token: () => "t", fetch: fakeFetch(429, "").fetch });
  await assert.rejects(limited.call("GET", "/x"), { status: 429, message: /too fast/ });
});

test("no connection is ApiError(0, 'network')", async () => {
  const api = createApi({ base: "/api", token: () => "t", fetch: fakeFetch(null).fetch });
  await assert.rejects(api.call("GET", "/x"), { status: 0, code: "network" });
});

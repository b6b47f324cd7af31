// The agent console: sign in with an agent token, see the workspace's conversations live, answer them.

import { Api, ApiError, uuid } from "./api.js";
import { h, preview, renderMessage, visitorName, when } from "./view.js";

const TOKEN_KEY = "parley.console.token";
const NOTICE_KEY = "parley.console.notice";
const PAGE = 100;
const RETRY_MAX = 30000;
const STATUS = ["sent", "delivered", "read"];
const $ = (id) => document.getElementById(id);

const state = {
  api: null,
  me: null,
  workspace: null, // {id, name}: where this tab is signed in
  rows: new Map(), // conversation id -> {conversation, lastMessage, unreadCount, counted: Set of live-counted ids}
  older: null, // the id to page the list from, while there may be more
  openId: null,
  messages: [],
  nodes: new Map(),
  cursor: 0, // the stream position of the last stored event received: the socket resumes after it
  ws: null,
  retries: 0,
  timer: 0,
  typingAt: 0,
  typingIdle: 0,
  theirTyping: 0,
  readTimer: 0,
};

// --- signing in and out ---------------------------------------------------------------------------------
async function boot() {
  const linked = tokenFromLink();
  const token = sessionStorage.getItem(TOKEN_KEY);
  const notice = sessionStorage.getItem(NOTICE_KEY) || "";
  sessionStorage.removeItem(NOTICE_KEY);
  if (linked && token && linked !== token && (await signIn(token))) offerLink(linked);
  else if (linked || token) signIn(linked || token);
  else showSignIn(notice);
}

// A `#token=` link's token, taken out of the address bar and the history at once.
function tokenFromLink() {
  const found = location.hash.match(/token=([^&]+)/);
  if (!found) return null;
  history.replaceState(null, "", location.pathname + location.search);
  return decodeURIComponent(found[1]);
}

// A link opened in a signed-in tab may be another agent's, or another workspace's: a session changes hands only
// when the agent says so, told who they are now and who the link would make them. Declining keeps this session.
async function offerLink(token) {
  if (token === state.api.token) return;
  let theirs;
  try {
    theirs = await new Api(token).call("GET", "/me");
  } catch (error) {
    toast(error.status === 401 ? `The link's token was not accepted: you are still ${state.me.name}.` : error.message);
    return;
  }
  if (theirs.id === state.me.id) {
    switchTo(token); // another token of the same agent: nothing changes hands
    return;
  }
  const question = $("switch");
  $("switch-text").replaceChildren(
    "You are signed in as ",
    h("strong", {}, state.me.name),
    " in the workspace ",
    h("strong", {}, state.workspace.name),
    ". This link signs in as ",
    h("strong", {}, theirs.name),
    " in the workspace ",
    h("strong", {}, theirs.workspace.name),
    ".",
  );
  $("switch-stay").textContent = `Stay as ${state.me.name}`;
  $("switch-go").textContent = `Switch to ${theirs.name}`;
  question.returnValue = "";
  question.onclose = () => question.returnValue === "switch" && switchTo(token);
  question.showModal(); // focus goes to "Stay", the choice that changes nothing; Escape declines too
}

function showSignIn(message = "") {
  $("app").hidden = true;
  $("signin").hidden = false;
  $("signin-error").textContent = message;
  $("token").focus();
}

// Resolves to whether the token was accepted.
async function signIn(token) {
  state.api = new Api(token);
  try {
    state.me = await state.api.call("GET", "/me");
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    showSignIn(error.status === 401 ? "That token was not accepted." : error.message);
    return false;
  }
  state.workspace = state.me.workspace;
  sessionStorage.setItem(TOKEN_KEY, token);
  $("signin").hidden = true;
  $("app").hidden = false;
  renderMe();
  connect(); // listen first, then read the list: nothing falls in between
  await loadConversations();
  return true;
}

function signOut(notice = "") {
  sessionStorage.removeItem(TOKEN_KEY);
  if (notice) sessionStorage.setItem(NOTICE_KEY, notice);
  reload();
}

function switchTo(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  reload();
}

function reload() {
  if (state.ws) {
    state.ws.onclose = null;
    state.ws.close();
  }
  location.replace(location.pathname); // a clean page: nothing of this agent's stays in memory
}

// --- the conversation list ---------------------------------------------------------------------------------
async function loadConversations(after = null) {
  const query = `?limit=${PAGE}${after ? `&after=${encodeURIComponent(after)}` : ""}`;
  const page = await run(() => state.api.call("GET", `/conversations${query}`));
  if (!page) return;
  for (const summary of page) {
    const known = state.rows.get(summary.conversation.id);
    const row = { ...summary, counted: known ? known.counted : new Set() };
    // a live event may have told us of a newer message than the page, read meanwhile, knows
    if (known && known.lastMessage && (!row.lastMessage || known.lastMessage.microseconds > row.lastMessage.microseconds)) {
      row.lastMessage = known.lastMessage;
    }
    state.rows.set(summary.conversation.id, row);
  }
  state.older = page.length === PAGE ? page[page.length - 1].conversation.id : null;
  renderList();
}

let reloadTimer = 0;
function reloadSoon() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => loadConversations(), 300);
}

function activity(row) {
  return row.lastMessage ? row.lastMessage.microseconds : row.conversation.createdAt * 1e6;
}

function renderList() {
  const list = $("conversations");
  const rows = [...state.rows.values()].sort((a, b) => activity(b) - activity(a));
  list.replaceChildren(
    ...rows.map((row) => {
      const c = row.conversation;
      const open = c.id === state.openId;
      const unread = open ? 0 : row.unreadCount;
      const tags = [];
      if (c.assignedAgent) tags.push(c.assignedAgent.id === state.me.id ? "Mine" : c.assignedAgent.name);
      if (c.locked) tags.push("Locked");
      const label = `${visitorName(c)}${unread ? `, ${unread} unread` : ""}`;
      return h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: `row${open ? " open" : ""}${unread ? " unread" : ""}`,
            "aria-current": open ? "true" : null,
            "aria-label": label,
            "data-id": c.id,
            onclick: () => openConversation(c.id),
          },
          h(
            "span",
            { class: "line" },
            h("span", { class: "name" }, visitorName(c)),
            h("span", { class: "time" }, when(row.lastMessage ? row.lastMessage.createdAt : c.createdAt)),
          ),
          h(
            "span",
            { class: "line" },
            h("span", { class: "preview" }, preview(row.lastMessage)),
            unread ? h("span", { class: "unread-count", "aria-hidden": "true" }, String(unread)) : null,
          ),
          tags.length ? h("span", { class: "tags" }, tags.map((t) => h("span", { class: "tag" }, t))) : null,
        ),
      );
    }),
  );
  $("no-conversations").hidden = rows.length > 0;
  $("more").hidden = !state.older;
}

// --- one conversation ------------------------------------------------------------------------------------
async function openConversation(id) {
  state.openId = id;
  state.messages = [];
  state.nodes.clear();
  $("messages").replaceChildren();
  $("typing").textContent = "";
  $("thread").hidden = false;
  $("placeholder").hidden = true;
  document.body.classList.add("viewing");
  renderList();
  renderHead();
  let after = 0;
  for (;;) {
    const page = await run(() => state.api.call("GET", `/conversations/${id}/messages?after=${after}&limit=${PAGE}`));
    if (!page || state.openId !== id) return;
    page.forEach(upsert);
    if (page.length < PAGE) break;
    after = page[page.length - 1].microseconds;
  }
  toBottom();
  markRead();
  $("text").focus();
}

function closeConversation() {
  state.openId = null;
  $("thread").hidden = true;
  $("placeholder").hidden = false;
  document.body.classList.remove("viewing");
  renderList();
}

function current() {
  return state.openId ? state.rows.get(state.openId) : null;
}

function renderHead() {
  const row = current();
  if (!row) return;
  const c = row.conversation;
  const agent = c.assignedAgent;
  const mine = agent && agent.id === state.me.id;
  $("thread-title").textContent = visitorName(c);
  const parts = [agent ? `Assigned to ${mine ? "you" : agent.name}` : "Unassigned"];
  if (c.locked) parts.push("Locked");
  $("thread-sub").textContent = parts.join(" · ");
  $("assign").textContent = mine ? "Unassign" : "Assign to me";
  $("lock").textContent = c.locked ? "Unlock" : "Lock";
  $("review").disabled = !agent || c.locked;
  $("review").title = agent ? "Ask the visitor to rate the conversation" : "Assign the conversation first";
  $("text").disabled = $("send").disabled = $("file").disabled = c.locked;
  $("text").placeholder = c.locked
    ? "This conversation is locked: unlock it to reply"
    : "Write a reply (Enter sends, Shift+Enter for a new line)";
}

// `message` is a whole message from the server (it has microseconds), or a local change found by id or uuid.
function upsert(message) {
  const log = $("messages");
  let at = state.messages.findIndex(
    (m) => (message.id && m.id === message.id) || (message.uuid && m.uuid === message.uuid && !!m.agent === !!message.agent),
  );
  if (at >= 0) {
    const old = state.messages[at];
    const merged = message.microseconds ? { ...message } : { ...old, ...message };
    if (old.status && merged.status && STATUS.indexOf(old.status) > STATUS.indexOf(merged.status)) merged.status = old.status;
    state.messages[at] = merged;
    const node = state.nodes.get(old.id || old.uuid);
    state.nodes.delete(old.id || old.uuid);
    const fresh = renderMessage(merged);
    const stick = log.scrollHeight - log.scrollTop - log.clientHeight < 240;
    if (node) node.replaceWith(fresh);
    state.nodes.set(merged.id || merged.uuid, fresh);
    if (stick) requestAnimationFrame(toBottom);
    return;
  }
  at = state.messages.findIndex((m) => !message.pending && (m.pending || m.microseconds > message.microseconds));
  if (at < 0) at = state.messages.length;
  state.messages.splice(at, 0, message);
  const node = renderMessage(message);
  state.nodes.set(message.id || message.uuid, node);
  const next = state.messages[at + 1];
  const stick = log.scrollHeight - log.scrollTop - log.clientHeight < 240;
  log.insertBefore(node, next ? state.nodes.get(next.id || next.uuid) : null);
  if (stick || message.agent) requestAnimationFrame(toBottom);
}

function toBottom() {
  const log = $("messages");
  log.scrollTop = log.scrollHeight;
}

function markRead() {
  clearTimeout(state.readTimer);
  state.readTimer = setTimeout(() => {
    const row = current();
    if (!row || document.visibilityState !== "visible") return;
    const waiting = state.messages.filter((m) => m.endUser && m.id && m.status !== "read");
    if (!waiting.length && !row.unreadCount) return;
    row.unreadCount = 0;
    row.counted.clear();
    renderList();
    if (!waiting.length) return;
    const until = Math.max(...waiting.map((m) => m.microseconds));
    run(() => state.api.call("POST", `/conversations/${row.conversation.id}/read`, { until }));
  }, 150);
}

// --- acting on it --------------------------------------------------------------------------------------------
async function act(path) {
  const row = current();
  if (!row) return;
  const changed = await run(() => state.api.call("POST", `/conversations/${row.conversation.id}/${path}`));
  if (changed && "locked" in changed) updateConversation(changed);
  else if (changed && changed.microseconds && state.openId === row.conversation.id) upsert(changed); // the review request
}

function updateConversation(conversation) {
  const row = state.rows.get(conversation.id);
  if (!row) {
    state.rows.set(conversation.id, { conversation, lastMessage: null, unreadCount: 0, counted: new Set() });
  } else {
    row.conversation = conversation;
  }
  renderList();
  if (conversation.id === state.openId) renderHead();
}

async function sendText() {
  const row = current();
  const text = $("text").value.trim();
  if (!row || !text) return;
  $("text").value = "";
  typingOut(true);
  const message = { uuid: uuid(), type: "text", body: text, agent: state.me, pending: true, createdAt: Date.now() / 1000 };
  await deliver(row.conversation.id, message, () =>
    state.api.call("POST", `/conversations/${row.conversation.id}/messages`, { uuid: message.uuid, text }),
  );
}

async function sendFile(file) {
  const row = current();
  if (!row) return;
  const message = {
    uuid: uuid(),
    type: "file",
    agent: state.me,
    pending: true,
    createdAt: Date.now() / 1000,
    file: { info: { name: file.name, ext: "", size: file.size } },
  };
  await deliver(row.conversation.id, message, () => {
    const form = new FormData();
    form.append("uuid", message.uuid);
    form.append("file", file);
    return state.api.call("POST", `/conversations/${row.conversation.id}/files`, form);
  });
}

async function deliver(conversationId, message, call) {
  upsert(message);
  try {
    const sent = await call();
    if (state.openId === conversationId) upsert(sent);
  } catch (error) {
    if (state.openId === conversationId) upsert({ uuid: message.uuid, agent: state.me, pending: false, failed: true, error: error.message });
    toast(error.message);
  }
}

function typingOut(stop = false) {
  const row = current();
  if (!row) return;
  clearTimeout(state.typingIdle);
  const post = (typing) =>
    state.api.call("POST", `/conversations/${row.conversation.id}/typing`, { typing }).catch(() => {});
  if (stop) {
    if (state.typingAt) {
      state.typingAt = 0;
      post(false);
    }
    return;
  }
  if (Date.now() - state.typingAt > 3000) {
    state.typingAt = Date.now();
    post(true);
  }
  state.typingIdle = setTimeout(() => typingOut(true), 4000);
}

function showTyping(on) {
  clearTimeout(state.theirTyping);
  $("typing").textContent = on ? "The visitor is typing…" : "";
  if (on) state.theirTyping = setTimeout(() => showTyping(false), 6000);
}

// --- me ----------------------------------------------------------------------------------------------------
function renderMe() {
  const online = state.me.status === "online";
  $("me-name").textContent = state.me.name;
  const toggle = $("status");
  toggle.textContent = online ? "Online" : "Offline";
  toggle.setAttribute("aria-pressed", String(online));
  toggle.setAttribute("aria-label", `Your status: ${online ? "online" : "offline"}. Switch to ${online ? "offline" : "online"}`);
  toggle.classList.toggle("online", online);
}

async function toggleStatus() {
  const status = state.me.status === "online" ? "offline" : "online";
  const me = await run(() => state.api.call("PUT", "/me/status", { status }));
  if (me) {
    state.me = me;
    renderMe();
  }
}

// --- live events: resume with after=<the last stream position seen>, backing off exponentially ----------------
function connect() {
  if (state.ws) return;
  setConn(state.retries ? "Reconnecting…" : "Connecting…");
  const ws = new WebSocket(state.api.socketUrl(state.cursor));
  state.ws = ws;
  const resumed = state.cursor > 0;
  const again = state.retries > 0;
  ws.onopen = () => {
    state.retries = 0;
    setConn("Live", "live");
    if (again && !resumed) reloadSoon(); // nothing to resume from: read the list afresh
  };
  ws.onmessage = (e) => {
    let event;
    try {
      event = JSON.parse(e.data);
    } catch {
      return;
    }
    onEvent(event);
  };
  ws.onclose = (e) => {
    state.ws = null;
    if (e.code === 4401) {
      signOut("Your token is no longer valid: sign in again.");
      return;
    }
    const delay = Math.min(RETRY_MAX, 500 * 2 ** state.retries) * (0.5 + Math.random() / 2);
    state.retries += 1;
    setConn(navigator.onLine ? "Reconnecting…" : "Offline", "down");
    state.timer = setTimeout(connect, delay);
  };
}

function setConn(text, kind = "") {
  const el = $("conn");
  el.textContent = text;
  el.className = `conn ${kind}`;
}

function onEvent(event) {
  const data = event.data || {};
  if (typeof event.position === "number" && event.position > state.cursor) state.cursor = event.position;
  const id = event.conversationId;
  switch (event.event) {
    case "conversation.created":
      if (!state.rows.has(data.id)) updateConversation(data);
      break;
    case "conversation.assigned":
    case "conversation.unassigned":
    case "conversation.locked":
    case "conversation.unlocked":
      updateConversation(data);
      break;
    case "message.created":
      messageCreated(id, data);
      break;
    case "message.status_changed": {
      const row = state.rows.get(id);
      if (row && row.lastMessage && row.lastMessage.id === data.id) row.lastMessage = data;
      if (row && data.endUser && data.status === "read" && row.unreadCount > 0) {
        row.counted.delete(data.id);
        row.unreadCount -= 1;
        renderList();
      }
      if (id === state.openId) upsert(data);
      break;
    }
    case "review.requested":
    case "review.updated":
      if (id === state.openId) {
        const message = state.messages.find((m) => m.review && m.review.id === data.id);
        if (message) upsert({ id: message.id, review: { ...message.review, ...data } });
      }
      break;
    case "typing":
      if (id === state.openId && data.author === "endUser") showTyping(data.typing);
      break;
    case "agent.status_changed":
      if (data.id === state.me.id) {
        state.me = data;
        renderMe();
      }
      for (const row of state.rows.values()) {
        if (row.conversation.assignedAgent && row.conversation.assignedAgent.id === data.id) {
          row.conversation = { ...row.conversation, assignedAgent: data };
        }
      }
      break;
  }
}

function messageCreated(id, message) {
  let row = state.rows.get(id);
  if (!row) {
    reloadSoon(); // a conversation we have not listed: read the list again
    return;
  }
  if (!row.lastMessage || message.microseconds >= row.lastMessage.microseconds) row.lastMessage = message;
  const viewing = id === state.openId && document.visibilityState === "visible";
  if (message.endUser && !viewing && message.status !== "read" && !row.counted.has(message.id)) {
    row.counted.add(message.id);
    row.unreadCount += 1;
  }
  renderList();
  if (id === state.openId) {
    upsert(message);
    if (message.endUser) {
      showTyping(false);
      markRead();
    }
  }
}

// --- plumbing ----------------------------------------------------------------------------------------------
async function run(call) {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) signOut("Your token is no longer valid: sign in again.");
    else toast(error.message);
    return null;
  }
}

let toastTimer = 0;
function toast(message) {
  const el = $("toast");
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.hidden = true), 6000);
}

function wire() {
  $("signin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const token = $("token").value.trim();
    if (token) signIn(token);
  });
  $("signout").addEventListener("click", () => signOut());
  window.addEventListener("hashchange", () => {
    // a link pasted into this tab's address bar changes only the fragment: nothing reloads
    const linked = tokenFromLink();
    if (linked && state.me) offerLink(linked);
    else if (linked) signIn(linked);
  });
  $("status").addEventListener("click", toggleStatus);
  $("more").addEventListener("click", () => loadConversations(state.older));
  $("back").addEventListener("click", closeConversation);
  $("assign").addEventListener("click", () => {
    const row = current();
    const mine = row && row.conversation.assignedAgent && row.conversation.assignedAgent.id === state.me.id;
    act(mine ? "unassign" : "assign");
  });
  $("lock").addEventListener("click", () => act(current() && current().conversation.locked ? "unlock" : "lock"));
  $("review").addEventListener("click", () => act("request-review"));
  $("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    sendText();
  });
  $("text").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      sendText();
    }
  });
  $("text").addEventListener("input", () => typingOut());
  $("file").addEventListener("change", (e) => {
    const file = e.target.files[0];
    e.target.value = "";
    if (file) sendFile(file);
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && state.openId && window.matchMedia("(max-width: 720px)").matches) closeConversation();
  });
  document.addEventListener("visibilitychange", markRead);
  window.addEventListener("online", () => {
    clearTimeout(state.timer);
    state.retries = 0;
    connect();
  });
}

wire();
boot();

// The console's state and everything that changes it: signing in, the conversation list, the open thread, live
// events. The views only read `state` and call these actions; `onChange` is told after every change, and the page
// draws at most once per animation frame however many events arrived in between.
//
// Rows and messages are replaced, never changed in place, when their data changes: a view that gets the same object
// as last time skips it, so a burst of events redraws only what they touched.

import { ApiError, createApi } from "./core/api.js";
import { createSocket } from "./core/socket.js";
import { uuid } from "./core/text.js";
import { createTimeline } from "./core/timeline.js";
import { createTypingIndicator, createTypingSignal, debounce } from "./core/timers.js";
import { createDrafts } from "./drafts.js";
import { authorName, summary, visitorName } from "./format.js";

const BASE = "/api/agent/v1";
const TOKEN_KEY = "parley.console.token";
const NOTICE_KEY = "parley.console.notice";
const EXPIRED = "Your token is no longer valid: sign in again.";
const LIST_PAGE = 100;
const HISTORY_PAGE = 50;
const NEWEST = Number.MAX_SAFE_INTEGER; // `before` this: the newest page of a history
const ANNOUNCED = 5; // the screen reader's live region keeps this many of the latest messages
const TOAST_MS = 6000;

/** Where a row stands in the list: its last message's time, or its creation's. */
const activity = (row) => (row.lastMessage ? row.lastMessage.microseconds : row.conversation.createdAt * 1e6);

export function createConsole({ onChange, storage = globalThis.sessionStorage }) {
  let token = null;
  let drafts = null;
  let socket = null;
  let sorted = null; // the rows in list order, until they change
  let toastTimer = 0;
  const api = createApi({ base: BASE, token: () => token });

  const state = {
    screen: "starting", // then "signin" or "app"
    signinError: "",
    me: null, // the signed-in Agent, with its `workspace`
    rows: new Map(), // conversation id -> {conversation, lastMessage, unreadCount, counted}
    older: null, // the id the list's next page starts after, while there may be more
    thread: null, // the open conversation: {id, timeline, version, hasOlder, loadingOlder, readUntil}
    theyAreTyping: false,
    connection: { text: "", live: false },
    toast: null,
    offer: null, // a `#token=` link of another agent, waiting for an answer: {token, theirs}
    announcements: [], // the newest messages from others in the open thread, for the live region
  };

  const indicator = createTypingIndicator({
    onChange(on) {
      state.theyAreTyping = on;
      onChange();
    },
  });
  const typing = createTypingSignal({
    post(on) {
      const thread = state.thread;
      if (thread) api.call("POST", `/conversations/${thread.id}/typing`, { typing: on }).catch(() => {});
    },
  });
  const markReadSoon = debounce(markRead, 150);
  const reloadListSoon = debounce(() => loadConversations(), 300);

  // --- signing in and out -------------------------------------------------------------------------------------
  async function boot() {
    const linked = tokenFromLink();
    const kept = storage.getItem(TOKEN_KEY);
    const notice = storage.getItem(NOTICE_KEY) || "";
    storage.removeItem(NOTICE_KEY);
    if (linked && kept && linked !== kept && (await signIn(kept))) await offerLink(linked);
    else if (linked || kept) await signIn(linked || kept);
    else showSignIn(notice);
  }

  /** A `#token=` link's token, taken out of the address bar and the history at once. */
  function tokenFromLink() {
    const found = location.hash.match(/token=([^&]+)/);
    if (!found) return null;
    history.replaceState(null, "", location.pathname + location.search);
    return decodeURIComponent(found[1]);
  }

  /** A link pasted into the address bar changes only the fragment: nothing reloads, so it is looked at here. */
  function onHashChange() {
    const linked = tokenFromLink();
    if (linked && state.me) offerLink(linked);
    else if (linked) signIn(linked);
  }

  function showSignIn(message = "") {
    state.screen = "signin";
    state.signinError = message;
    onChange();
  }

  /** Resolves to whether the token was accepted. */
  async function signIn(candidate) {
    token = candidate;
    try {
      state.me = await api.call("GET", "/me");
    } catch (error) {
      token = null;
      storage.removeItem(TOKEN_KEY);
      showSignIn(error.status === 401 ? "That token was not accepted." : error.message);
      return false;
    }
    storage.setItem(TOKEN_KEY, candidate);
    drafts = createDrafts(state.me.id);
    state.screen = "app";
    onChange();
    connect(); // listen first, then read the list: nothing falls in between
    await loadConversations();
    return true;
  }

  /** A link opened in a signed-in tab may be another agent's, or another workspace's: the session changes hands
   * only when the agent says so, told who they are now and who the link would make them. */
  async function offerLink(linked) {
    if (linked === token) return;
    let theirs;
    try {
      theirs = await createApi({ base: BASE, token: () => linked }).call("GET", "/me");
    } catch (error) {
      toast(error.status === 401 ? `The link's token was not accepted: you are still ${state.me.name}.` : error.message);
      return;
    }
    if (theirs.id === state.me.id) switchTo(linked); // another token of the same agent: nothing changes hands
    else {
      state.offer = { token: linked, theirs };
      onChange();
    }
  }

  function answerOffer(choice) {
    const offer = state.offer;
    state.offer = null;
    onChange();
    if (offer && choice === "switch") switchTo(offer.token);
  }

  function signOut(notice = "") {
    storage.removeItem(TOKEN_KEY);
    if (notice) storage.setItem(NOTICE_KEY, notice);
    leave();
  }

  function switchTo(linked) {
    storage.setItem(TOKEN_KEY, linked);
    leave();
  }

  /** A clean page: nothing of this agent's stays in memory. */
  function leave() {
    if (socket) socket.stop();
    location.replace(location.pathname);
  }

  // --- the conversation list -----------------------------------------------------------------------------------
  function putRow(row) {
    state.rows.set(row.conversation.id, row);
    sorted = null;
    onChange();
  }

  /** The rows, most recently active first. */
  function rowsInOrder() {
    if (!sorted) sorted = [...state.rows.values()].sort((a, b) => activity(b) - activity(a));
    return sorted;
  }

  async function loadConversations(after = null) {
    const query = `?limit=${LIST_PAGE}${after ? `&after=${encodeURIComponent(after)}` : ""}`;
    const page = await run(() => api.call("GET", `/conversations${query}`));
    if (!page) return;
    for (const summary of page) {
      const known = state.rows.get(summary.conversation.id);
      const row = { ...summary, counted: known ? known.counted : [] };
      // a live event may have told of a newer message than the page, read meanwhile, knows
      if (known && known.lastMessage && activity(known) > activity(row)) row.lastMessage = known.lastMessage;
      putRow(row);
    }
    state.older = page.length === LIST_PAGE ? page[page.length - 1].conversation.id : null;
    onChange();
  }

  const loadOlderConversations = () => state.older && loadConversations(state.older);

  function updateConversation(conversation) {
    const row = state.rows.get(conversation.id);
    putRow(row ? { ...row, conversation } : { conversation, lastMessage: null, unreadCount: 0, counted: [] });
  }

  /** The unread count a row shows: none while its conversation is in front of the agent. */
  function unreadOf(row) {
    return viewing(row.conversation.id) ? 0 : row.unreadCount;
  }

  const viewing = (id) => state.thread?.id === id && document.visibilityState === "visible";

  /** The tab came to the front (its open conversation is now read) or went away (its count shows again). */
  function visibilityChanged() {
    markReadSoon();
    onChange();
  }

  // --- the open conversation ---------------------------------------------------------------------------------
  async function openConversation(id) {
    if (state.thread?.id === id) return;
    typing.stop(); // said in the conversation being left
    indicator.show(false);
    const thread = { id, timeline: createTimeline(), version: 0, hasOlder: false, loadingOlder: true, readUntil: 0 };
    state.thread = thread;
    state.announcements = [];
    onChange();
    const page = await loadPage(thread, NEWEST);
    if (page) markReadSoon();
  }

  function closeConversation() {
    typing.stop();
    state.thread = null;
    onChange();
  }

  /** The page of `thread`'s history just before `before`, merged in; older pages follow as the agent scrolls up. */
  async function loadPage(thread, before) {
    thread.loadingOlder = true;
    const path = `/conversations/${thread.id}/messages?before=${before}&limit=${HISTORY_PAGE}`;
    const page = await run(() => api.call("GET", path));
    if (state.thread !== thread) return null;
    thread.loadingOlder = false;
    if (page) {
      thread.hasOlder = page.length === HISTORY_PAGE;
      thread.timeline.upsertMany(page);
    }
    touch(thread);
    return page;
  }

  function loadOlderMessages() {
    const thread = state.thread;
    if (thread && thread.hasOlder && !thread.loadingOlder) loadPage(thread, thread.timeline.oldest());
  }

  /** The thread's messages changed: views that depend on them draw again. */
  function touch(thread) {
    thread.version += 1;
    onChange();
  }

  let listed = { thread: null, version: -1, messages: [] };
  /** The open thread's messages in order, copied once per change rather than once per frame. */
  function messages() {
    const thread = state.thread;
    if (!thread) return [];
    if (listed.thread !== thread || listed.version !== thread.version) {
      listed = { thread, version: thread.version, messages: thread.timeline.messages() };
    }
    return listed.messages;
  }

  function upsertInThread(id, message) {
    const thread = state.thread;
    if (!thread || thread.id !== id) return;
    if (thread.timeline.upsert(message).length) touch(thread);
  }

  /** The visitor's messages in front of the agent are read: one receipt, up to the newest of them. */
  function markRead() {
    const thread = state.thread;
    if (!thread || document.visibilityState !== "visible") return;
    const row = state.rows.get(thread.id);
    if (row && (row.unreadCount || row.counted.length)) putRow({ ...row, unreadCount: 0, counted: [] });
    const newest = messages().findLast((m) => m.endUser && m.id && m.status !== "read");
    if (!newest || newest.microseconds <= thread.readUntil) return;
    thread.readUntil = newest.microseconds;
    run(() => api.call("POST", `/conversations/${thread.id}/read`, { until: newest.microseconds }));
  }

  // --- acting on it --------------------------------------------------------------------------------------------
  async function act(action) {
    const thread = state.thread;
    if (!thread) return;
    const answer = await run(() => api.call("POST", `/conversations/${thread.id}/${action}`));
    if (!answer) return;
    if ("locked" in answer) updateConversation(answer);
    else upsertInThread(thread.id, answer); // the review request's message
  }

  function sendText(text) {
    const thread = state.thread;
    if (!thread) return;
    typing.stop();
    const message = pending({ type: "text", body: text });
    deliver(thread, message, () => api.call("POST", `/conversations/${thread.id}/messages`, { uuid: message.uuid, text }));
  }

  function sendFile(file) {
    const thread = state.thread;
    if (!thread) return;
    const message = pending({ type: "file", file: { info: { name: file.name, ext: "", size: file.size } } });
    deliver(thread, message, () => {
      const form = new FormData();
      form.append("uuid", message.uuid);
      form.append("file", file);
      return api.call("POST", `/conversations/${thread.id}/files`, form);
    });
  }

  /** Our copy of a message being sent, shown at once and replaced by the stored one (matched by `uuid`). */
  const pending = (content) => ({ uuid: uuid(), agent: state.me, pending: true, createdAt: Date.now() / 1000, ...content });

  async function deliver(thread, message, call) {
    upsertInThread(thread.id, message);
    try {
      upsertInThread(thread.id, await call());
    } catch (error) {
      upsertInThread(thread.id, { uuid: message.uuid, pending: false, failed: true, error: error.message });
      toast(error.message);
    }
  }

  async function setAvailability(availability) {
    const agent = await run(() => api.call("PUT", "/me/availability", { availability }));
    if (agent) {
      state.me = { ...state.me, ...agent };
      onChange();
    }
  }

  // --- live events -----------------------------------------------------------------------------------------------
  function connect() {
    socket = createSocket({
      url(after) {
        const scheme = location.protocol === "https:" ? "wss" : "ws";
        const query = new URLSearchParams({ token });
        if (after) query.set("after", String(after));
        return `${scheme}://${location.host}${BASE}/ws?${query}`;
      },
      cursorOf: (event) => event.position,
      onEvent,
      onState: connectionChanged,
    });
    socket.start();
  }

  function connectionChanged({ state: now, reconnected, resumed, code }) {
    if (now === "refused") {
      signOut(code === 4401 ? EXPIRED : "This console may not connect from here.");
      return;
    }
    const words = {
      connecting: reconnected ? "Reconnecting…" : "Connecting…",
      open: "Live",
      waiting: navigator.onLine ? "Reconnecting…" : "Offline",
      offline: "Offline",
    };
    state.connection = { text: words[now], live: now === "open" };
    if (now === "open" && reconnected && !resumed) reloadListSoon(); // nothing to resume from: read the list afresh
    onChange();
  }

  function onEvent(event) {
    const data = event.data || {};
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
      case "message.status_changed":
        statusChanged(id, data);
        break;
      case "review.requested":
      case "review.updated":
        reviewChanged(id, data);
        break;
      case "typing":
        if (state.thread?.id === id && data.author === "endUser") indicator.show(data.typing);
        break;
      case "agent.status_changed":
        agentChanged(data);
        break;
    }
  }

  function messageCreated(id, message) {
    const row = state.rows.get(id);
    if (!row) {
      reloadListSoon(); // a conversation not listed yet: read the list again
      return;
    }
    const counts = message.endUser && message.status !== "read" && !viewing(id) && !row.counted.includes(message.microseconds);
    putRow({
      ...row,
      lastMessage: activity(row) <= message.microseconds ? message : row.lastMessage,
      unreadCount: row.unreadCount + (counts ? 1 : 0),
      counted: counts ? [...row.counted, message.microseconds] : row.counted,
    });
    if (state.thread?.id !== id) return;
    upsertInThread(id, message);
    if (message.agent?.id !== state.me.id) announce(message, row.conversation);
    if (message.endUser) {
      indicator.show(false);
      markReadSoon();
    }
  }

  /** One receipt stands for every message of its side up to the one it names. */
  function statusChanged(id, message) {
    const row = state.rows.get(id);
    if (row && message.endUser && message.status === "read") {
      const counted = row.counted.filter((at) => at > message.microseconds);
      const unreadCount = row.lastMessage && row.lastMessage.microseconds > message.microseconds ? counted.length : 0;
      if (unreadCount !== row.unreadCount) putRow({ ...row, unreadCount, counted });
    }
    upsertInThread(id, message);
  }

  function reviewChanged(id, review) {
    const row = state.rows.get(id);
    const last = row?.lastMessage;
    if (last?.review?.id === review.id) putRow({ ...row, lastMessage: { ...last, review: { ...last.review, ...review } } });
    const held = state.thread?.id === id && state.thread.timeline.find((m) => m.review?.id === review.id);
    if (held) upsertInThread(id, { id: held.id, review: { ...held.review, ...review } });
  }

  function agentChanged(agent) {
    if (agent.id === state.me.id) state.me = { ...state.me, ...agent };
    for (const row of state.rows.values()) {
      if (row.conversation.assignedAgent?.id === agent.id) {
        putRow({ ...row, conversation: { ...row.conversation, assignedAgent: agent } });
      }
    }
    onChange();
  }

  /** A message from someone else, told to screen readers once, when it arrives (never again when its status
   * changes, nor when older pages are loaded). */
  function announce(message, conversation) {
    const text = `${authorName(message, visitorName(conversation))}: ${summary(message)}`;
    state.announcements = [...state.announcements, { key: message.id, text }].slice(-ANNOUNCED);
  }

  // --- plumbing -----------------------------------------------------------------------------------------------
  async function run(call) {
    try {
      return await call();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) signOut(EXPIRED);
      else toast(error.message);
      return null;
    }
  }

  function toast(text) {
    state.toast = text;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => {
      state.toast = null;
      onChange();
    }, TOAST_MS);
    onChange();
  }

  return {
    state,
    boot,
    onHashChange,
    signIn,
    signOut: () => signOut(),
    answerOffer,
    rowsInOrder,
    unreadOf,
    loadOlderConversations,
    openConversation,
    closeConversation,
    messages,
    loadOlderMessages,
    visibilityChanged,
    act,
    sendText,
    sendFile,
    typed: () => typing.input(),
    setAvailability,
    drafts: () => drafts,
  };
}

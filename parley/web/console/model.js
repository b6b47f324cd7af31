// The console's state and everything that changes it: signing in, the inbox (its views, counts, labels and search),
// the open thread (messages, notes and who did what), live events. The views only read `state` and call these
// actions; `onChange` is told after every change, and the page draws at most once per animation frame however many
// events arrived in between.
//
// Rows and messages are replaced, never changed in place, when their data changes: a view that gets the same object
// as last time skips it, so a burst of events redraws only what they touched.

import { ApiError, createApi } from "./core/api.js";
import { createSocket } from "./core/socket.js";
import { uuid } from "./core/text.js";
import { createTimeline } from "./core/timeline.js";
import { createTypingIndicator, createTypingSignal, debounce } from "./core/timers.js";
import { interleave, mergeActivity } from "./activity.js";
import { ADMIN_ROLES, createAdmin } from "./admin.js";
import { alertFor, createAlerts } from "./alerts.js";
import { createDrafts } from "./drafts.js";
import { authorName, summary, visitorName } from "./format.js";
import { COUNTED_EVENTS, DEFAULT_VIEW, activityOf, inView, listQuery, rowsFor } from "./inbox.js";
import { createSearch } from "./search.js";

const BASE = "/api/agent/v1";
const TOKEN_KEY = "parley.console.token";
const WORKSPACE_KEY = "parley.console.workspace"; // the sign-in form's workspace, remembered on this browser
const LINK_PAGES = { invite: "/invitations/accept", reset: "/password-reset/confirm" }; // where a link's page posts
const NOTICE_KEY = "parley.console.notice";
const EXPIRED = "You were signed out: sign in again.";
const LIST_PAGE = 100;
const HISTORY_PAGE = 50;
const LONGEST_PAGE = 100; // the API's largest page: a conversation opened at a found message, and activity, come in these
const NEWEST = Number.MAX_SAFE_INTEGER; // `before` this: the newest page of a history
const ANNOUNCED = 5; // the screen reader's live region keeps this many of the latest messages
const TOAST_MS = 6000;

export function createConsole({
  onChange,
  storage = globalThis.sessionStorage,
  remembered = globalThis.localStorage,
}) {
  let token = null;
  let drafts = null;
  let socket = null;
  let sorted = null; // the rows in list order, until they change
  let listing = 0; // pages of the list being read
  let toastTimer = 0;
  const api = createApi({ base: BASE, token: () => token });
  const search = createSearch({ call: (path) => run(() => api.call("GET", path)), onChange });
  const alerts = createAlerts({ storage: remembered, onOpen: (id) => openConversation(id) });
  const admin = createAdmin({
    call: (method, path, body, { quiet404 = false } = {}) => run(() => api.call(method, path, body), { quiet404 }),
    onChange,
  });

  const state = {
    screen: "starting", // then "signin", "password" (an invitation's or a reset's page), "app" or "admin"
    signinError: "",
    workspaceId: "", // the sign-in form's: from `?workspace=` or remembered
    resetRequested: false, // "forgot your password" was asked
    link: null, // on an invitation's or a reset's page: {page: "invite"|"reset", token}
    me: null, // the signed-in Agent, with its `workspace`
    rows: new Map(), // conversation id -> {conversation, lastMessage, unreadCount, counted}, of every view seen
    filter: { view: DEFAULT_VIEW, label: null, sort: "newest" }, // what the list shows (inbox.js)
    older: null, // the id the list's next page starts after, while there may be more
    counts: null, // {mine, unassigned, open, pending, snoozed, resolved}
    labels: [], // the workspace's labels: [{name, count}]
    canned: [], // the workspace's canned responses
    search: search.state, // the search box: {query, results, busy} (search.js)
    admin: admin.state, // the admin pages (admin.js), on the "admin" screen
    thread: null, // the open conversation: {id, timeline, activity, activityOlder, version, hasOlder, loadingOlder,
    //               readUntil, found}
    modes: new Map(), // conversation id -> "note" while the agent writes notes there (else a reply)
    snoozing: false, // the open conversation's snooze choices are shown
    help: false, // the keyboard shortcuts are shown
    focus: { on: null, seq: 0 }, // where the keyboard asked the focus to go: "search", "compose", "labels", "snooze"
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
  const reloadListSoon = debounce(reloadList, 300);
  const listAgainSoon = debounce(() => loadConversations(), 300);
  const countsSoon = debounce(loadCounts, 250);
  const labelsSoon = debounce(loadLabels, 250);
  const activitySoon = debounce(() => state.thread && loadActivity(state.thread), 100);

  // --- signing in and out -------------------------------------------------------------------------------------
  async function boot() {
    const page = location.pathname.replace(/\/+$/, "").split("/").pop();
    if (page in LINK_PAGES) {
      state.link = { page, token: tokenFromLink() };
      state.screen = "password";
      onChange();
      return;
    }
    const asked = new URLSearchParams(location.search).get("workspace");
    state.workspaceId = asked || remembered?.getItem(WORKSPACE_KEY) || "";
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
    if (state.link && linked) {
      state.link = { ...state.link, token: linked }; // another invitation or reset: its token, not a session's
      onChange();
      return;
    }
    if (linked && state.me) offerLink(linked);
    else if (linked) signIn(linked);
  }

  function showSignIn(message = "") {
    state.screen = "signin";
    state.signinError = message;
    onChange();
  }

  /** Email and password: the session's token then signs in as a console token does. */
  async function signInWithPassword({ workspaceId, email, password }) {
    try {
      const session = await publicCall("/sessions", { workspaceId, email, password });
      remembered?.setItem(WORKSPACE_KEY, workspaceId);
      await signIn(session.token);
    } catch (error) {
      showSignIn(error.status === 401 ? "Wrong email or password." : error.message);
    }
  }

  async function requestReset({ workspaceId, email }) {
    try {
      await publicCall("/password-reset", { workspaceId, email });
      state.resetRequested = true;
      state.signinError = "";
    } catch (error) {
      state.signinError = error.message;
    }
    onChange();
  }

  /** An invitation's or a reset's page: the chosen password, then signed in on the console's own address. */
  async function choosePassword(password) {
    try {
      const session = await publicCall(LINK_PAGES[state.link.page], { token: state.link.token || "", password });
      history.replaceState(null, "", location.pathname.replace(/\/[^/]+\/?$/, "/"));
      state.link = null;
      await signIn(session.token);
    } catch (error) {
      state.signinError =
        error.status === 404 ? "This link was used already, or has expired: ask for a new one." : error.message;
      onChange();
    }
  }

  function publicCall(path, body) {
    return createApi({ base: BASE, token: () => null }).call("POST", path, body);
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
    await Promise.all([loadConversations(), loadCounts(), loadLabels(), loadCanned()]);
    await openLinked();
    return true;
  }

  /** `?conversation=<id>` (a notification mail's link) opens that conversation once; the address then forgets it. */
  async function openLinked() {
    const query = new URLSearchParams(location.search);
    const id = query.get("conversation");
    if (!id) return;
    query.delete("conversation");
    history.replaceState(null, "", location.pathname + (query.size ? `?${query}` : "") + location.hash);
    try {
      const conversation = await api.call("GET", `/conversations/${encodeURIComponent(id)}`);
      await openConversation(conversation.id, { conversation });
    } catch (error) {
      toast(error.status === 404 ? "That conversation is not in this workspace, or no longer exists." : error.message);
    }
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

  /** Signing out ends the session on the server too (best effort: a dead connection still signs out here). */
  async function signOutNow() {
    await api.call("DELETE", "/sessions/current").catch(() => {});
    signOut();
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

  // --- the inbox ----------------------------------------------------------------------------------------------
  function putRow(row) {
    state.rows.set(row.conversation.id, row);
    sorted = null;
    onChange();
  }

  /** The rows of the chosen view and label, in the chosen order: the server's pages and every row a live event has
   * moved into the view since, decided by the same rules the server applies (inbox.js). */
  function rowsInOrder() {
    if (!sorted) sorted = rowsFor([...state.rows.values()], state.filter, state.me.id);
    return sorted;
  }

  async function loadConversations(after = null) {
    const filter = state.filter;
    listing += 1;
    const page = await run(() => api.call("GET", `/conversations${listQuery(filter, { after, limit: LIST_PAGE })}`));
    listing -= 1;
    if (!page) return;
    for (const found of page) {
      const known = state.rows.get(found.conversation.id);
      const row = { ...found, counted: known ? known.counted : [] };
      // a live event may have told of a newer message than the page, read meanwhile, knows
      if (known && known.lastMessage && activityOf(known) > activityOf(row)) row.lastMessage = known.lastMessage;
      putRow(row);
    }
    if (state.filter === filter) state.older = page.length === LIST_PAGE ? page[page.length - 1].conversation.id : null;
    onChange();
  }

  const loadOlderConversations = () => state.older && loadConversations(state.older);

  /** The view, label or order changed: the list shows what it holds of it at once, then the server's first page. */
  function filterBy(change) {
    state.filter = { ...state.filter, ...change };
    state.older = null;
    sorted = null;
    onChange();
    return loadConversations();
  }

  /** Events were missed (a reconnection that could not resume): everything listed may be stale, so it is read again;
   * only the open conversation's row stays meanwhile. */
  function reloadList() {
    for (const id of [...state.rows.keys()]) if (id !== state.thread?.id) state.rows.delete(id);
    sorted = null;
    if (state.thread) loadActivity(state.thread);
    return Promise.all([loadConversations(), loadCounts(), loadLabels()]);
  }

  async function loadCounts() {
    const counts = await run(() => api.call("GET", "/conversations/counts"));
    if (counts) {
      state.counts = counts;
      onChange();
    }
  }

  async function loadLabels() {
    const labels = await run(() => api.call("GET", "/labels"));
    if (labels) {
      state.labels = labels;
      onChange();
    }
  }

  /** Canned responses have no events: they are read (every page of them) at sign-in and again each time the agent
   * asks for them. */
  async function loadCanned() {
    const canned = [];
    for (;;) {
      const after = canned.length ? `&after=${encodeURIComponent(canned[canned.length - 1].id)}` : "";
      const page = await run(() => api.call("GET", `/canned-responses?limit=${LONGEST_PAGE}${after}`));
      if (!page) return;
      canned.push(...page);
      if (page.length < LONGEST_PAGE) break;
    }
    state.canned = canned;
    onChange();
  }

  /** A conversation's new state. A row not held yet is taken in when it now belongs in the view shown (a visitor
   * wrote to a resolved conversation, a snooze ended) or is new, so it appears at once. */
  function updateConversation(conversation, { created = false } = {}) {
    const row = state.rows.get(conversation.id);
    if (row) putRow({ ...row, conversation });
    else if (created || inView(conversation, state.filter, state.me.id)) adopt(conversation, { created });
  }

  /** A row for a conversation no page brought: a new one has no messages yet; another's last message is read. */
  async function adopt(conversation, { created = false } = {}) {
    putRow({ conversation, lastMessage: null, unreadCount: 0, counted: [] });
    if (created) return;
    const newest = await run(() => api.call("GET", `/conversations/${conversation.id}/messages?before=${NEWEST}&limit=1`));
    const row = state.rows.get(conversation.id);
    if (row && newest && newest.length && (!row.lastMessage || activityOf(row) < newest[0].microseconds)) {
      putRow({ ...row, lastMessage: newest[0] });
    }
  }

  function setSound(on) {
    alerts.setSound(on);
    onChange();
  }

  /** Asked on the agent's click (browsers refuse a request made without one): the answer is kept by the browser. */
  async function askToNotify() {
    await alerts.ask();
    onChange();
  }

  /** How many conversations hold visitor messages the agent has not read: the tab's title says it. */
  const unreadConversations = () => [...state.rows.values()].filter((row) => unreadOf(row) > 0).length;

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

  /** The conversation after (`step` 1) or before (-1) the open one in what the list shows: the search's results
   * while there are some, else the rows. */
  function openNeighbour(step) {
    const results = state.search.results;
    const ids = results ? results.map((found) => found.conversation.id) : rowsInOrder().map((row) => row.conversation.id);
    const at = ids.indexOf(state.thread?.id);
    const next = at < 0 ? (step > 0 ? 0 : ids.length - 1) : at + step;
    if (next < 0 || next >= ids.length) return;
    if (results) openResult(results[next]);
    else openConversation(ids[next]);
  }

  // --- the open conversation ---------------------------------------------------------------------------------
  /** Opens a conversation, at its newest messages, or at `at` (a message a search found). `conversation` is its
   * data when no row of the list holds it (a search's result). */
  async function openConversation(id, { conversation = null, at = null } = {}) {
    if (state.thread?.id === id && !at) return;
    typing.stop(); // said in the conversation being left
    indicator.show(false);
    if (conversation && !state.rows.has(id)) adopt(conversation);
    const thread = {
      id,
      timeline: createTimeline(),
      activity: [],
      activityOlder: false, // older activity than `activity` holds may exist
      version: 0,
      hasOlder: false,
      loadingOlder: true,
      readUntil: 0,
      found: at ? at.id : null,
    };
    state.thread = thread;
    state.snoozing = false;
    state.announcements = [];
    onChange();
    loadActivity(thread);
    const loaded = at ? await loadFrom(thread, at) : await loadPage(thread, NEWEST);
    if (loaded) markReadSoon();
  }

  const openResult = (found) =>
    openConversation(found.conversation.id, { conversation: found.conversation, at: found.message });

  function closeConversation() {
    typing.stop();
    state.thread = null;
    state.snoozing = false;
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
      loadOlderActivity(thread);
    }
    touch(thread);
    return page;
  }

  /** The history from `message` to the newest, so that the thread opens at it with nothing missing below it; older
   * pages then follow as the agent scrolls up, as always. */
  async function loadFrom(thread, message) {
    thread.loadingOlder = true;
    let after = message.microseconds - 1;
    for (;;) {
      const path = `/conversations/${thread.id}/messages?after=${after}&limit=${LONGEST_PAGE}`;
      const page = await run(() => api.call("GET", path));
      if (state.thread !== thread) return false;
      if (!page) break;
      thread.timeline.upsertMany(page);
      if (page.length < LONGEST_PAGE) break;
      after = page[page.length - 1].microseconds;
    }
    thread.loadingOlder = false;
    thread.hasOlder = true; // found out by the first older page
    touch(thread);
    return true;
  }

  function loadOlderMessages() {
    const thread = state.thread;
    if (thread && thread.hasOlder && !thread.loadingOlder) loadPage(thread, thread.timeline.oldest());
  }

  /** Who did what to the conversation, read again whenever an event says something was done. */
  async function loadActivity(thread) {
    const page = await readActivity(thread, NEWEST);
    if (!page) return;
    if (!thread.activity.length) thread.activityOlder = page.length === LONGEST_PAGE;
    keepActivity(thread, page);
    loadOlderActivity(thread);
  }

  /** Older activity, as far back as the messages held go (called again whenever older messages arrive). */
  async function loadOlderActivity(thread) {
    const reaches = () => thread.timeline.oldest() ?? Infinity;
    while (thread.activityOlder && state.thread === thread && reaches() < thread.activity[0].microseconds) {
      const page = await readActivity(thread, thread.activity[0].microseconds);
      if (!page) return;
      thread.activityOlder = page.length === LONGEST_PAGE;
      keepActivity(thread, page);
    }
  }

  const readActivity = (thread, before) =>
    run(() => api.call("GET", `/conversations/${thread.id}/activity?before=${before}&limit=${LONGEST_PAGE}`));

  function keepActivity(thread, page) {
    if (state.thread !== thread) return;
    thread.activity = mergeActivity(thread.activity, page);
    touch(thread);
  }

  /** The thread's messages or activity changed: views that depend on them draw again. */
  function touch(thread) {
    thread.version += 1;
    onChange();
  }

  let listed = { thread: null, version: -1, messages: [], entries: [] };
  /** The open thread's messages in order, and its entries (messages and activity, interleaved), made once per change
   * rather than once per frame. */
  function drawn() {
    const thread = state.thread;
    if (listed.thread !== thread || listed.version !== thread.version) {
      const messages = thread.timeline.messages();
      listed = { thread, version: thread.version, messages, entries: interleave(messages, thread.activity, thread.hasOlder) };
    }
    return listed;
  }

  const messages = () => (state.thread ? drawn().messages : []);
  const entries = () => (state.thread ? drawn().entries : []);

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

  /** `open`, `pending`, `resolved`, or `snoozed` until `snoozedUntil` (unix seconds). */
  async function setStatus(status, snoozedUntil = null) {
    const thread = state.thread;
    if (!thread) return;
    state.snoozing = false;
    onChange();
    const body = status === "snoozed" ? { status, snoozedUntil } : { status };
    const answer = await run(() => api.call("POST", `/conversations/${thread.id}/status`, body));
    if (answer) updateConversation(answer);
  }

  async function setLabels(labels) {
    const thread = state.thread;
    if (!thread) return false;
    const answer = await run(() => api.call("PUT", `/conversations/${thread.id}/labels`, { labels }));
    if (answer) updateConversation(answer);
    return Boolean(answer);
  }

  /** "reply" or "note": how the agent writes in `conversationId` (each keeps its own draft). */
  const modeOf = (conversationId) => state.modes.get(conversationId) || "reply";

  function setMode(conversationId, mode) {
    if (mode === "note") state.modes.set(conversationId, mode);
    else state.modes.delete(conversationId);
    onChange();
  }

  function sendText(text) {
    const thread = state.thread;
    if (!thread) return;
    typing.stop();
    const message = pending({ type: "text", body: text });
    deliver(thread, message, () => api.call("POST", `/conversations/${thread.id}/messages`, { uuid: message.uuid, text }));
  }

  /** A note for the team: its own route, so that nothing written as a note can reach the visitor. */
  function sendNote(text) {
    const thread = state.thread;
    if (!thread) return;
    const message = pending({ type: "note", body: text });
    deliver(thread, message, () => api.call("POST", `/conversations/${thread.id}/notes`, { uuid: message.uuid, text }));
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

  /** One of the signed-in agent's own settings (`/me/<setting>`), the agent as the server answers kept. */
  async function setMine(setting, body) {
    const agent = await run(() => api.call("PUT", `/me/${setting}`, body));
    if (agent) {
      state.me = { ...state.me, ...agent };
      onChange();
    }
  }

  const setAvailability = (availability) => setMine("availability", { availability });
  const setEmailNotifications = (emailNotifications) => setMine("notifications", { emailNotifications });

  // --- the keyboard --------------------------------------------------------------------------------------------
  /** Asks the view that owns `target` to take the focus (it looks at `state.focus` when it draws). */
  function focusOn(target) {
    state.focus = { on: target, seq: state.focus.seq + 1 };
    onChange();
  }

  function showSnooze(shown) {
    state.snoozing = shown;
    onChange();
    if (shown) focusOn("snooze");
  }

  function showHelp(shown) {
    state.help = shown;
    onChange();
  }

  /** What a shortcut (shortcuts.js) does; `narrow` says whether the list and the thread share the screen. Answers
   * whether it did something, so that the key does nothing else. */
  function perform(action, { narrow = false } = {}) {
    const conversation = state.thread && state.rows.get(state.thread.id)?.conversation;
    const status = conversation?.status || "open";
    if (action.startsWith("view:")) {
      search.clear(); // a view chosen is the list wanted, not the search's results
      filterBy({ view: action.slice(5) });
    } else if (action === "help") showHelp(true);
    else if (action === "search") focusOn("search");
    else if (action === "next" || action === "previous") openNeighbour(action === "next" ? 1 : -1);
    else if (action === "back" && state.snoozing) showSnooze(false);
    else if (action === "back" && narrow && state.thread) closeConversation();
    else if (!conversation) return false;
    else if (action === "reply" || action === "note") {
      setMode(conversation.id, action);
      focusOn("compose");
    } else if (action === "resolve" && status !== "resolved") setStatus("resolved");
    else if (action === "pending" && status !== "pending") setStatus("pending");
    else if (action === "reopen" && status !== "open") setStatus("open");
    else if (action === "snooze") showSnooze(true);
    else if (action === "assign") act(conversation.assignedAgent?.id === state.me.id ? "unassign" : "assign");
    else if (action === "labels") focusOn("labels");
    else return false;
    return true;
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
    if (COUNTED_EVENTS.has(event.event)) countsSoon();
    const hidden = document.visibilityState === "hidden";
    const alert = alertFor(event, { hidden, conversation: state.rows.get(id)?.conversation, who: visitorName, text: summary });
    if (alert) alerts.tell(alert);
    switch (event.event) {
      case "conversation.created":
        if (!state.rows.has(data.id)) updateConversation(data, { created: true });
        break;
      case "conversation.labels_changed":
        labelsSoon();
      // falls through: a change of the conversation, done by someone, like the others below
      case "conversation.assigned":
      case "conversation.unassigned":
      case "conversation.locked":
      case "conversation.unlocked":
      case "conversation.status_changed":
        updateConversation(data);
        if (state.thread?.id === data.id) activitySoon();
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
      // Not held: not in the view shown, unless a page being read was read before this message was written.
      if (listing) listAgainSoon();
      return;
    }
    const counts = message.endUser && message.status !== "read" && !viewing(id) && !row.counted.includes(message.microseconds);
    putRow({
      ...row,
      lastMessage: activityOf(row) <= message.microseconds ? message : row.lastMessage,
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
    if (agent.id === state.me.id) {
      const { email: _hidden, ...shown } = agent; // events carry the public view, whose email is always null
      state.me = { ...state.me, ...shown };
    }
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
  /** `quiet404`: a 404 is an answer (no webhook yet), not an error to show. */
  async function run(call, { quiet404 = false } = {}) {
    try {
      return await call();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) signOut(EXPIRED);
      else if (!(quiet404 && error.status === 404)) toast(error.message);
      return null;
    }
  }

  // --- the admin pages ----------------------------------------------------------------------------------------
  const isAdmin = () => ADMIN_ROLES.has(state.me?.role);

  /** The admin pages in place of the inbox (the inbox keeps listening meanwhile); an agent is told they are not
   * theirs, and the API would refuse them anyway. */
  function openAdmin(section = admin.state.section) {
    state.screen = "admin";
    onChange();
    if (isAdmin()) admin.open(section);
  }

  function closeAdmin() {
    state.screen = "app";
    onChange();
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
    alerts,
    setSound,
    askToNotify,
    unreadConversations,
    boot,
    onHashChange,
    signIn,
    signInWithPassword,
    requestReset,
    choosePassword,
    signOut: signOutNow,
    isAdmin,
    openAdmin,
    closeAdmin,
    admin,
    answerOffer,
    rowsInOrder,
    unreadOf,
    loadOlderConversations,
    filterBy,
    openConversation,
    openResult,
    closeConversation,
    entries,
    loadOlderMessages,
    visibilityChanged,
    act,
    setStatus,
    setLabels,
    modeOf,
    setMode,
    sendText,
    sendNote,
    sendFile,
    loadCanned,
    searchFor: search.searchFor,
    clearSearch: search.clear,
    perform,
    showSnooze,
    showHelp,
    typed: () => typing.input(),
    setAvailability,
    setEmailNotifications,
    drafts: () => drafts,
  };
}

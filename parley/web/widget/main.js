/*! Parley chat widget. Embed: <script src="https://<parley>/widget.js" data-site-key="..." async></script>
 * Identified visitors: data-token="<websocketToken>" on the tag, or Parley.identify(token).
 * Built by `make widget` from parley/web/widget/ and parley/web/core/, no dependencies: everything lives in a
 * shadow root, so the page and the widget leave each other be.
 */

import { ApiError, createApi } from "../core/api.js";
import { askEmailAt } from "../core/ask_email.js";
import { awayLine, nextLook } from "../core/away.js";
import { createOutbox } from "../core/outbox.js";
import { createSocket } from "../core/socket.js";
import { uuid } from "../core/text.js";
import { createTimeline, sideOf } from "../core/timeline.js";
import { createAlarm, createTypingIndicator, createTypingSignal, debounce } from "../core/timers.js";
import { h, ICON, icon } from "./dom.js";
import { buildFrame } from "./frame.js";
import { createMessageList } from "./messages.js";

const NEWEST = 9007199254740991; // `before` this cursor: the newest page
const PAGE = 50;
const LOAD_OLDER_WITHIN_PX = 200; // scrolled this close to the top, the older page is fetched
const SETTINGS_FRESH_MS = 60_000; // opening the panel asks for the settings (is the team away?) when older than this

const tag = document.currentScript || document.querySelector("script[data-site-key],script[src*='widget.js']");
const siteKey = (tag && tag.dataset.siteKey) || "";
const base = new URL(".", tag ? tag.src : location.href);
const API = new URL("api/widget/v1", base).href;
const SOCKET = `${API.replace(/^http/, "ws")}/ws`;
const KEY = `parley:${siteKey || base.host}`;
const NO_EMAIL_KEY = `${KEY}:no-email`; // the visitor said no to leaving their email: not asked again

/** localStorage, or a stand-in for this page only where the browser refuses it (sandboxed frames). */
function pageStorage() {
  try {
    window.localStorage.getItem(KEY);
    return window.localStorage;
  } catch {
    const memory = new Map();
    return { getItem: (k) => memory.get(k) ?? null, setItem: (k, v) => memory.set(k, String(v)), removeItem: (k) => memory.delete(k) };
  }
}

const storage = pageStorage();
const S = {
  token: (tag && tag.dataset.token) || storage.getItem(KEY),
  identified: !!(tag && tag.dataset.token),
  me: null,
  conversation: null, // the visitor's latest conversation that is not locked; null until their first message
  settings: {},
  settingsAt: 0, // when the settings arrived (ms)
  awayMark: 0, // the newest agent message's cursor when the settings said "away": an agent writing after is back
  open: false,
  ready: null, // the session being started, or started
  problem: null,
  connection: "idle",
  olderDone: true,
  loadingOlder: false,
};
const uploads = new Map(); // uuid -> File, kept while its upload may need a retry
const api = createApi({ base: API, token: () => S.token });
const timeline = createTimeline();
let frame;
let list;
let socket = null;

const outbox = createOutbox({
  storage,
  key: `${KEY}:outbox`,
  send: (entry) => api.call("POST", "/messages", { uuid: entry.uuid, text: entry.text }),
  onSent: (entry, message) => sent(message || { uuid: entry.uuid, waiting: false }),
  onWaiting: () => outbox.entries().forEach((entry) => entry.failed || show({ uuid: entry.uuid, waiting: true })),
  onFailed: (entry, error) => show({ uuid: entry.uuid, failed: true, waiting: false, error: error.message }),
});
const typingSignal = createTypingSignal({ post: (typing) => api.call("POST", "/typing", { typing }).catch(() => {}) });
const theirTyping = createTypingIndicator({
  onChange: (on) => {
    const agent = S.conversation && S.conversation.assignedAgent;
    frame.typing.textContent = on ? `${agent ? agent.name : "An agent"} is typing…` : "";
  },
});

function remember(token) {
  try {
    if (token) storage.setItem(KEY, token);
    else storage.removeItem(KEY);
  } catch {
    /* private mode: the visitor starts afresh next time */
  }
}

// --- the session: who the visitor is, their conversation, and its newest page ---------------------------------
function start() {
  if (!S.ready) {
    S.ready = begin().catch((error) => {
      S.ready = null;
      S.problem = error;
      render();
      throw error;
    });
  }
  return S.ready;
}

async function begin() {
  S.problem = null;
  let session = null;
  if (S.token) {
    try {
      session = await api.call("POST", "/session");
    } catch (error) {
      if (error.status !== 401 || S.identified || !siteKey) throw error;
      S.token = null; // a token this server no longer knows: start as a new visitor
    }
  }
  if (!session) {
    if (!siteKey) throw new ApiError(403, "no_site_key", "The chat is not set up on this page (no site key).");
    session = await api.call("POST", "/session", { siteKey });
  }
  S.token = session.endUser.websocketToken || S.token;
  if (!S.identified) remember(S.token);
  S.me = session.endUser;
  S.conversation = session.conversation;
  if (S.conversation) await loadNewest();
  adoptSettings(session.settings);
  connect();
  render();
  outbox.flush();
}

/** New settings: whether the team is away and until when; the alarm looks again at `backAt`. */
function adoptSettings(settings) {
  S.settings = settings || {};
  S.settingsAt = Date.now();
  const newest = timeline.findLast((m) => !!m.agent && !!m.microseconds);
  S.awayMark = newest ? newest.microseconds : 0;
  awayAlarm.at(nextLook(S.settings));
  render();
}

/** The session asked for again: fresh settings (and the conversation, if one started meanwhile). */
async function refreshSession() {
  if (!S.token || !S.ready) return;
  const session = await api.call("POST", "/session");
  if (session.conversation && !S.conversation) adopt(session.conversation);
  adoptSettings(session.settings);
}

const awayAlarm = createAlarm(() => {
  if (S.settings.backAt && Date.now() >= S.settings.backAt * 1000) refreshSession().catch(() => {});
  else redrawAway();
});

/** Before `backAt`: the line is drawn again ("tomorrow" turns "today"), and the alarm set for the next look. */
function redrawAway() {
  awayAlarm.at(nextLook(S.settings));
  render();
}

async function loadNewest() {
  const page = await api.call("GET", `/messages?before=${NEWEST}&limit=${PAGE}`);
  S.olderDone = page.length < PAGE;
  apply(timeline.upsertMany(page));
}

/** The page before the oldest message held, keeping what the visitor is looking at where it is. */
async function loadOlder() {
  const oldest = timeline.oldest();
  if (S.olderDone || S.loadingOlder || oldest === null) return;
  S.loadingOlder = true;
  try {
    const page = await api.call("GET", `/messages?before=${oldest}&limit=${PAGE}`);
    S.olderDone = page.length < PAGE;
    const { log } = frame;
    const fromBottom = log.scrollHeight - log.scrollTop;
    list.apply(timeline.upsertMany(page));
    log.scrollTop = log.scrollHeight - fromBottom;
  } finally {
    S.loadingOlder = false;
  }
}

/** The conversation the visitor writes in now: a newer one replaces what is shown (their unsent messages stay). */
function adopt(conversation) {
  const switching = !!S.conversation;
  S.conversation = conversation;
  if (switching) startAfresh(conversation);
  render();
  loadNewest().catch(() => {});
}

/** An empty list for a conversation the visitor is starting (`conversation` null) or that just started. */
function startAfresh(conversation) {
  timeline.clear();
  list.clear();
  S.conversation = conversation;
  S.olderDone = true;
  showOutbox();
}

/** What the visitor sees of an outbox entry until the server's message takes its place. */
const pendingCopy = (entry) => ({
  uuid: entry.uuid,
  type: "text",
  body: entry.text,
  endUser: S.me || {},
  createdAt: entry.createdAt,
  pending: true,
  failed: !!entry.failed,
  error: entry.failed || null,
});

function showOutbox() {
  for (const entry of outbox.entries()) show(pendingCopy(entry));
}

// --- live events ------------------------------------------------------------------------------------------------
function connect() {
  if (socket || !S.token) return;
  socket = createSocket({
    url: (after) => `${SOCKET}?token=${encodeURIComponent(S.token)}${after ? `&after=${after}` : ""}`,
    cursorOf: (event) => (event.event === "typing" ? undefined : event.microseconds), // typing is never replayed
    after: timeline.newest() || 0,
    onEvent,
    onState: connectionChanged,
  });
  socket.start();
}

function connectionChanged(change) {
  S.connection = change.state;
  if (change.state === "open") outbox.flush(); // what waited for the connection goes now
  if (change.state === "refused") {
    if (change.code === 4401 && !S.identified) {
      reset();
      S.token = null;
      remember(null);
      if (S.open || outbox.entries().length) start().catch(() => {});
    } else {
      S.problem = new ApiError(403, "refused", change.reason || "The chat refused this page.");
    }
  }
  render();
}

function onEvent(event) {
  const data = event.data || {};
  const here = !!S.conversation && event.conversationId === S.conversation.id;
  switch (event.event) {
    case "message.created":
    case "message.status_changed":
      if (here) show(data);
      if (here && event.event === "message.created" && data.agent) theirTyping.show(false);
      break;
    case "conversation.created": // the visitor's first message made it, or a newer one takes the old one's place
      if (!S.conversation || data.id !== S.conversation.id) adopt(data);
      break;
    case "conversation.assigned":
    case "conversation.unassigned":
    case "conversation.locked":
    case "conversation.unlocked":
      if (here) setConversation(data);
      break;
    case "review.requested":
    case "review.updated":
      updateReview(data);
      break;
    case "agent.status_changed": {
      const agent = S.conversation && S.conversation.assignedAgent;
      if (agent && agent.id === data.id) setConversation({ ...S.conversation, assignedAgent: data });
      break;
    }
    case "typing":
      if (here && data.author === "agent") theirTyping.show(data.typing);
      break;
  }
}

function setConversation(conversation) {
  S.conversation = conversation;
  render();
}

// --- messages ---------------------------------------------------------------------------------------------------
function apply(changes) {
  if (!changes.length) return;
  list.apply(changes);
  render();
  markRead();
}

const show = (message) => apply(timeline.upsert(message));

function sent(message) {
  show(message);
  if (!S.conversation) refreshSession().catch(() => {});
}

function updateReview(review) {
  const message = timeline.find((m) => m.review && m.review.id === review.id);
  if (message) show({ id: message.id, review: { ...message.review, ...review } });
}

async function rate(review, mark, text) {
  try {
    await api.call("POST", `/reviews/${review.id}`, text ? { mark, text } : { mark });
    updateReview(await api.call("POST", `/reviews/${review.id}/confirm`));
  } catch (error) {
    if (error.code !== "review_confirmed") throw error;
    updateReview({ ...review, mark, confirmed: true });
  }
}

const canWrite = () => !!S.token && !(S.problem && S.problem.status === 403);

/** A message to a locked conversation starts a new one: the closed one's history makes way for it. */
function beforeSending() {
  if (S.conversation && S.conversation.locked) startAfresh(null);
}

function submitText() {
  const text = frame.text.value.trim();
  if (!text || !canWrite()) return;
  frame.text.value = "";
  frame.fit();
  typingSignal.stop();
  beforeSending();
  const entry = { uuid: uuid(), text, createdAt: Math.floor(Date.now() / 1000) };
  show(pendingCopy(entry));
  outbox.add(entry);
}

function upload(file) {
  if (!canWrite()) return;
  beforeSending();
  const id = uuid();
  uploads.set(id, file);
  show({ uuid: id, type: "file", body: null, endUser: S.me || {}, pending: true, createdAt: Math.floor(Date.now() / 1000), file: { info: { name: file.name, ext: "", size: file.size } } });
  deliverUpload(id);
}

async function deliverUpload(id) {
  const form = new FormData();
  form.append("uuid", id);
  form.append("file", uploads.get(id));
  try {
    sent(await api.call("POST", "/files", form));
    uploads.delete(id);
  } catch (error) {
    show({ uuid: id, pending: false, failed: true, error: error.message });
  }
}

function retry(message) {
  show({ uuid: message.uuid, pending: true, failed: false, error: null });
  if (uploads.has(message.uuid)) deliverUpload(message.uuid);
  else outbox.retry(message.uuid);
}

// --- read receipts and the unread badge ------------------------------------------------------------------------
const newestFromTeam = () => timeline.findLast((m) => sideOf(m) === "team" && !!m.id);

/** The team's messages after the last one read: a receipt reads everything before it. */
function unreadCount() {
  let count = 0;
  for (const message of timeline.messages().reverse()) {
    if (sideOf(message) !== "team" || !message.id) continue;
    if (message.status === "read") break;
    count += 1;
  }
  return count;
}

const markRead = debounce(() => {
  const newest = newestFromTeam();
  if (!S.open || document.visibilityState !== "visible" || !newest || newest.status === "read") return;
  apply(timeline.upsert({ ...newest, status: "read" }));
  api.call("POST", "/read", { until: newest.microseconds }).catch(() => {});
}, 150);

/** The server said the team is away (outside business hours, or no agent online), and no agent has written since. */
function awayNow() {
  const newest = timeline.findLast((m) => !!m.agent && !!m.microseconds);
  return awayLine(S.settings) !== null && !(newest && newest.microseconds > S.awayMark);
}

/** Whether to ask for the visitor's email now; when not yet, the alarm comes back when it is time. */
function askingEmail() {
  const visitorLast = timeline.findLast((m) => sideOf(m) === "visitor" && !!m.microseconds);
  const agentLast = timeline.findLast((m) => !!m.agent && !!m.microseconds);
  const at = askEmailAt({
    me: S.me,
    settings: S.settings,
    away: awayNow() || teamAway(),
    lastVisitorAt: visitorLast ? visitorLast.microseconds / 1000 : 0,
    lastAgentAt: agentLast ? agentLast.microseconds / 1000 : 0,
    dismissed: storage.getItem(NO_EMAIL_KEY) === "1",
  });
  askAlarm.at(at !== null && at > Date.now() ? at : null);
  return at !== null && at <= Date.now();
}

const askAlarm = createAlarm(() => render());

async function leaveEmail(address) {
  frame.askError.hidden = true;
  try {
    S.me = await api.call("PUT", "/me", { email: address });
    frame.text.focus();
  } catch (error) {
    frame.askError.textContent = error.status === 422 ? "That doesn't look like an email address." : error.message;
    frame.askError.hidden = false;
  }
  render();
}

function noEmail() {
  try {
    storage.setItem(NO_EMAIL_KEY, "1");
  } catch {
    /* private mode: asked again next time */
  }
  render();
}

/** The bot said the team is away, and no agent has written since. */
function teamAway() {
  const away = S.settings.awayMessage;
  if (!away || !away.trim()) return false;
  const last = timeline.findLast((m) => !!m.agent || (!!m.bot && m.body === away));
  return !!last && !last.agent;
}

// --- the frame: header, banner, composer, badge -------------------------------------------------------------------
function render() {
  const settings = S.settings;
  const { wrap, title, avatar, presence, badge, launcher, banner, lockedNote, text, attach, send, log, empty } = frame;
  wrap.style.setProperty("--accent", /^#[0-9a-f]{3,8}$/i.test(settings.accentColor || "") ? settings.accentColor : "#2563eb");
  const agent = S.conversation && S.conversation.assignedAgent;
  title.textContent = agent ? agent.name : settings.title || "Chat with us";
  const picture = agent && agent.avatar && agent.avatar.url["120x120"];
  const initials = agent && agent.name.split(/\s+/).map((word) => word[0]).join("").slice(0, 2).toUpperCase();
  avatar.replaceChildren(picture ? h("img", { src: picture, alt: "" }) : initials || icon(ICON.chat));
  const online = !!agent && agent.status === "online";
  presence.className = `presence${online ? " online" : ""}${!agent && awayNow() ? " away" : ""}`;
  if (agent) presence.textContent = online ? "Online" : "Offline";
  else if (awayNow()) presence.textContent = awayLine(S.settings);
  else presence.textContent = teamAway() ? "Away right now: we'll answer when we're back" : "We'll reply as soon as we can";

  const count = S.open ? 0 : unreadCount();
  badge.hidden = !count;
  badge.textContent = count > 9 ? "9+" : String(count);
  const unread = count ? `, ${count} unread message${count > 1 ? "s" : ""}` : "";
  launcher.setAttribute("aria-label", S.open ? "Minimize chat" : `Open chat${unread}`);

  let note = "";
  if (!navigator.onLine) note = "You're offline. What you write is sent when you're back online.";
  else if (S.problem) note = S.problem.message;
  else if (S.connection === "waiting") note = "Reconnecting…";
  banner.hidden = !note;
  banner.className = `banner${S.problem && navigator.onLine ? " error" : ""}`;
  banner.textContent = note;
  if (navigator.onLine && S.problem && S.problem.status !== 403) {
    banner.append(" ", h("button", { class: "link", type: "button", onclick: tryAgain }, "Try again"));
  }

  lockedNote.hidden = !(S.conversation && S.conversation.locked);
  frame.ask.hidden = !askingEmail();
  text.disabled = attach.disabled = send.disabled = !canWrite();
  text.placeholder = canWrite() ? "Write a message…" : "Connecting…";
  if (timeline.size) empty.remove();
  else {
    empty.textContent = settings.greeting || "Hi! Ask us anything, we're here to help.";
    if (!empty.isConnected) log.prepend(empty);
  }
}

function tryAgain() {
  S.problem = null;
  render();
  start().catch(() => {});
}

// --- open, close, identify ------------------------------------------------------------------------------------------
function open() {
  S.open = true;
  frame.panel.hidden = false;
  frame.wrap.classList.add("open");
  frame.launcher.setAttribute("aria-expanded", "true");
  render();
  start().then(() => frame.text.focus(), () => {});
  if (S.settingsAt && Date.now() - S.settingsAt > SETTINGS_FRESH_MS) refreshSession().catch(() => {});
  setTimeout(() => {
    frame.text.focus();
    list.toBottom();
  }, 0);
  markRead();
}

function close() {
  S.open = false;
  frame.panel.hidden = true;
  frame.wrap.classList.remove("open");
  frame.launcher.setAttribute("aria-expanded", "false");
  render();
  frame.launcher.focus();
}

const toggle = () => (S.open ? close() : open());

/** Forget the visitor shown: their socket, messages and session (not the token: the caller decides). */
function reset() {
  if (socket) socket.stop();
  socket = null;
  timeline.clear();
  list.clear();
  Object.assign(S, { me: null, conversation: null, ready: null, problem: null, connection: "idle", olderDone: true });
}

function identify(token) {
  reset();
  outbox.clear();
  Object.assign(S, { token, identified: true });
  render();
  return start();
}

function logout() {
  reset();
  outbox.clear();
  Object.assign(S, { token: null, identified: false });
  remember(null);
  render();
}

function mount() {
  frame = buildFrame({
    toggle,
    close,
    submit: submitText,
    leaveEmail,
    noEmail,
    upload,
    typed: () => S.me && typingSignal.input(),
    scrolled: () => frame.log.scrollTop < LOAD_OLDER_WITHIN_PX && loadOlder().catch(() => {}),
  });
  list = createMessageList({ log: frame.log, mine: (m) => sideOf(m) === "visitor", retry, rate });
  document.addEventListener("visibilitychange", markRead);
  window.addEventListener("online", () => {
    if (!S.ready && (S.token || S.open)) start().catch(() => {}); // the session never started: start it now
    outbox.flush();
    render();
  });
  window.addEventListener("offline", render);
  showOutbox(); // unsent messages of an earlier page, shown (and sent) even before the session answers
  render();
  if (S.token) start().catch(() => {}); // a returning visitor: history, badge, live events and the outbox, unopened
  window.Parley = { version: "2", open, close, identify, logout, toggle };
  window.dispatchEvent(new Event("parley:ready"));
}

if (!(window.Parley && window.Parley.version)) mount();

/*! Parley chat widget. Embed: <script src="https://<parley>/widget.js" data-site-key="..." async></script>
 * Identified visitors: data-token="<websocketToken>" on the tag, or Parley.identify(token).
 * No build step, no dependencies: everything lives in a shadow root, so the page and the widget leave each other be.
 */
(() => {
  "use strict";
  if (window.Parley && window.Parley.version) return;

  const tag = document.currentScript || document.querySelector("script[data-site-key],script[src*='widget.js']");
  const siteKey = (tag && tag.dataset.siteKey) || "";
  const base = new URL(".", tag ? tag.src : location.href);
  const API = new URL("api/widget/v1", base).href;
  const WS = API.replace(/^http/, "ws") + "/ws";
  const KEY = "parley:" + (siteKey || base.host);
  const PAGE = 100;
  const RETRY_MAX = 30000;
  const STATUS = ["sent", "delivered", "read"];

  const store = {
    get() { try { return localStorage.getItem(KEY); } catch (e) { return null; } },
    set(v) { try { v ? localStorage.setItem(KEY, v) : localStorage.removeItem(KEY); } catch (e) { /* private mode */ } },
  };

  // --- state -------------------------------------------------------------------------------------------
  const S = {
    token: (tag && tag.dataset.token) || store.get(),
    identified: !!(tag && tag.dataset.token),
    me: null, conversation: null, settings: null,
    list: [], nodes: new Map(), // the messages in order, and their elements by key
    cursor: 0, ws: null, retries: 0, timer: 0, conn: "idle", problem: null,
    open: false, ready: null, typingAt: 0, typingIdle: 0, theirTyping: 0, readTimer: 0,
  };
  const key = (m) => m.id || "u:" + m.uuid;
  const mine = (m) => !!(m.endUser && S.me && m.endUser.id === S.me.id);

  // --- DOM helpers -------------------------------------------------------------------------------------
  function h(name, attrs, ...children) {
    const el = document.createElement(name);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "class") el.className = v;
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c != null && c !== false) el.append(c);
    return el;
  }
  const svg = (d) => {
    const s = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    s.setAttribute("viewBox", "0 0 24 24");
    s.setAttribute("aria-hidden", "true");
    s.innerHTML = `<path fill="currentColor" d="${d}"/>`;
    return s;
  };
  const ICON = {
    chat: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z",
    close: "M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7 2.9 18.3 9.2 12 2.9 5.7 4.3 4.3l6.3 6.3 6.3-6.3z",
    send: "M2 21 23 12 2 3v7l15 2-15 2z",
    clip: "M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6z",
  };
  const size = (n) => n < 1024 ? n + " B" : n < 1048576 ? (n / 1024).toFixed(1) + " KB" : (n / 1048576).toFixed(1) + " MB";
  const clock = (secs) => new Date(secs * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const fileName = (i) => (i.ext && !i.name.endsWith("." + i.ext) ? `${i.name}.${i.ext}` : i.name); // info.name has no extension
  const initials = (name) => (name || "?").split(/\s+/).map((w) => w[0]).join("").slice(0, 2).toUpperCase();
  function uuid() { // crypto.randomUUID needs a secure context; getRandomValues does not
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    const x = [...b].map((v) => v.toString(16).padStart(2, "0")).join("");
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
  }

  // --- the shadow root: inline !important beats any page rule aimed at the host ---------------------------
  const host = document.createElement("parley-chat");
  host.setAttribute("style", [
    "all:initial", "display:block", "position:fixed", "right:0", "bottom:0", "width:0", "height:0", "margin:0",
    "padding:0", "border:0", "overflow:visible", "visibility:visible", "opacity:1", "transform:none", "filter:none",
    "contain:none", "clip-path:none", "z-index:2147483000", "pointer-events:auto",
  ].map((d) => d + "!important").join(";"));
  const root = host.attachShadow({ mode: "open" });
  root.innerHTML = `<style>${CSS()}</style>`;

  const badge = h("span", { class: "badge", hidden: true, "aria-hidden": "true" });
  const launcher = h("button", { class: "launcher", type: "button", "aria-haspopup": "dialog", "aria-expanded": "false",
    "aria-controls": "parley-panel", onclick: () => (S.open ? close() : open()) }, svg(ICON.chat), badge);
  const avatar = h("span", { class: "avatar", "aria-hidden": "true" });
  const title = h("h2", { id: "parley-title" });
  const presence = h("p", { class: "presence" });
  const closeBtn = h("button", { class: "icon", type: "button", "aria-label": "Close chat", onclick: () => close() }, svg(ICON.close));
  const banner = h("div", { class: "banner", role: "status", "aria-live": "polite", hidden: true });
  const log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": "Messages", tabindex: "0" });
  const empty = h("p", { class: "empty" });
  const typing = h("p", { class: "typing", "aria-live": "polite" });
  const text = h("textarea", { rows: "1", "aria-label": "Message", placeholder: "Write a message…", maxlength: "10000" });
  const file = h("input", { type: "file", hidden: true, tabindex: "-1", "aria-hidden": "true" });
  const attach = h("button", { class: "icon", type: "button", "aria-label": "Attach a file", onclick: () => file.click() }, svg(ICON.clip));
  const send = h("button", { class: "icon send", type: "submit", "aria-label": "Send" }, svg(ICON.send));
  const lockedNote = h("p", { class: "locked", hidden: true }, "This conversation is closed.");
  const composer = h("form", { class: "composer", onsubmit: (e) => { e.preventDefault(); submitText(); } }, attach, file, text, send);
  const panel = h("section", { class: "panel", id: "parley-panel", role: "dialog", "aria-labelledby": "parley-title", hidden: true },
    h("header", {}, avatar, h("div", { class: "who" }, title, presence), closeBtn),
    banner, log, typing, lockedNote, composer);
  const wrap = h("div", { class: "root" }, panel, launcher);
  root.append(wrap);

  text.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); submitText(); }
  });
  text.addEventListener("input", () => { grow(); typingOut(); });
  file.addEventListener("change", () => { if (file.files[0]) sendFile(file.files[0]); file.value = ""; });
  panel.addEventListener("keydown", (e) => { if (e.key === "Escape") { e.stopPropagation(); close(); } });
  document.addEventListener("visibilitychange", markRead);
  window.addEventListener("online", () => {
    clearTimeout(S.timer); S.retries = 0;
    if (S.problem && S.problem.code === "network") { S.problem = null; S.ready = null; if (S.open || S.token) start().catch(() => {}); }
    render(); connect();
  });
  window.addEventListener("offline", () => { render(); if (S.ws) S.ws.close(); });

  function grow() { text.style.height = "auto"; text.style.height = Math.min(text.scrollHeight, 120) + "px"; }

  // --- the API -----------------------------------------------------------------------------------------
  async function api(method, path, body) {
    const headers = {};
    if (S.token) headers.Authorization = "Bearer " + S.token;
    if (body !== undefined && !(body instanceof FormData)) { headers["Content-Type"] = "application/json"; body = JSON.stringify(body); }
    let res;
    try { res = await fetch(API + path, { method, headers, body }); }
    catch (e) { throw Object.assign(new Error("Can't reach the chat server."), { status: 0, code: "network" }); }
    const json = await res.json().catch(() => null);
    if (!res.ok) {
      const err = (json && json.error) || {};
      const message = res.status === 429 ? "You're sending too fast. Try again in a moment." : err.message || `Something went wrong (${res.status}).`;
      throw Object.assign(new Error(message), { status: res.status, code: err.code });
    }
    return json.data;
  }

  function start() {
    if (!S.ready) S.ready = begin().catch((e) => { S.ready = null; S.problem = e; render(); throw e; });
    return S.ready;
  }

  async function begin() {
    S.problem = null;
    let session = null;
    if (S.token) {
      try { session = await api("POST", "/session"); }
      catch (e) { if (e.status !== 401 || S.identified || !siteKey) throw e; S.token = null; store.set(null); }
    }
    if (!session) {
      if (!siteKey) throw Object.assign(new Error("The chat is not set up on this page (no site key)."), { status: 403 });
      session = await api("POST", "/session", { siteKey });
    }
    S.token = session.endUser.websocketToken || S.token;
    if (!S.identified) store.set(S.token);
    S.me = session.endUser;
    S.settings = session.settings;
    setConversation(session.conversation);
    await loadHistory();
    connect();
    render();
  }

  async function loadHistory() {
    let after = 0;
    for (;;) {
      const page = await api("GET", `/messages?after=${after}&limit=${PAGE}`);
      page.forEach(upsert);
      if (page.length < PAGE) break;
      after = page[page.length - 1].microseconds;
    }
  }

  function clear() { S.list = []; S.nodes.clear(); log.textContent = ""; }

  function reset() {
    if (S.ws) { S.ws.onclose = null; S.ws.close(); S.ws = null; }
    clearTimeout(S.timer);
    clear();
    Object.assign(S, { cursor: 0, retries: 0, me: null, conversation: null, ready: null, problem: null, conn: "idle" });
  }

  // --- live events: resume with after=<the last microseconds seen>, backing off exponentially --------------
  function connect() {
    if (S.ws || !S.token || !S.me) return;
    if (!navigator.onLine) { render(); return; }
    S.conn = S.retries ? "reconnecting" : "connecting";
    const ws = new WebSocket(`${WS}?token=${encodeURIComponent(S.token)}&after=${S.cursor}`);
    S.ws = ws;
    ws.onopen = () => { S.retries = 0; S.conn = "open"; render(); };
    ws.onmessage = (e) => { let ev; try { ev = JSON.parse(e.data); } catch (err) { return; } onEvent(ev); };
    ws.onclose = (e) => {
      S.ws = null;
      if (e.code === 4401 && !S.identified) { store.set(null); S.token = null; reset(); if (S.open) start().catch(() => {}); render(); return; }
      if (e.code === 4401 || e.code === 4403) { S.conn = "closed"; S.problem = Object.assign(new Error(e.reason || "The chat refused this page."), { status: 403 }); render(); return; }
      const delay = Math.min(RETRY_MAX, 500 * 2 ** S.retries) * (0.5 + Math.random() / 2);
      S.retries++;
      S.conn = "reconnecting";
      S.timer = setTimeout(connect, delay);
      render();
    };
  }

  function onEvent(ev) {
    const d = ev.data || {};
    if (ev.event !== "typing" && ev.microseconds > S.cursor) S.cursor = ev.microseconds; // typing is never replayed
    const here = S.conversation && ev.conversationId === S.conversation.id;
    switch (ev.event) {
      case "message.created":
      case "message.status_changed":
        if (here) { upsert(d); if (ev.event === "message.created" && d.agent) showTyping(false); }
        break;
      case "conversation.created": // a newer conversation of this visitor takes the old one's place
        if (S.conversation && d.id !== S.conversation.id) refresh();
        break;
      case "conversation.assigned": case "conversation.unassigned": case "conversation.locked": case "conversation.unlocked":
        if (here) setConversation(d);
        break;
      case "review.requested": case "review.updated":
        updateReview(d);
        break;
      case "agent.status_changed": {
        const agent = S.conversation && S.conversation.assignedAgent;
        if (agent && agent.id === d.id) { S.conversation.assignedAgent = d; render(); }
        break;
      }
      case "typing":
        if (here && d.author === "agent") showTyping(d.typing);
        break;
    }
  }

  function setConversation(c) { S.conversation = c; render(); }

  async function refresh() {
    const session = await api("POST", "/session").catch(() => null);
    if (!session || !S.conversation || session.conversation.id === S.conversation.id) return;
    clear();
    setConversation(session.conversation);
    await loadHistory().catch(() => {});
  }

  function showTyping(on) {
    clearTimeout(S.theirTyping);
    const agent = S.conversation && S.conversation.assignedAgent;
    typing.textContent = on ? `${agent ? agent.name : "An agent"} is typing…` : "";
    if (on) S.theirTyping = setTimeout(() => showTyping(false), 6000);
  }

  // --- messages: `m` is a whole message from the server (it has microseconds), or a local change by id/uuid --
  function upsert(m) {
    let at = S.list.findIndex((x) => (m.id && x.id === m.id) || (m.uuid && x.uuid === m.uuid));
    if (m.microseconds > S.cursor) S.cursor = m.microseconds;
    if (at >= 0) {
      const old = S.list[at];
      const merged = m.microseconds ? Object.assign({ call: old.call }, m) : Object.assign({}, old, m);
      if (old.status && merged.status && STATUS.indexOf(old.status) > STATUS.indexOf(merged.status)) merged.status = old.status;
      S.list[at] = merged;
      const node = S.nodes.get(key(old));
      S.nodes.delete(key(old));
      // a review card being filled in is left alone until it is confirmed
      const keep = node && merged.review && !merged.review.confirmed && node.contains(root.activeElement);
      const fresh = keep ? node : draw(merged);
      const stick = nearBottom();
      if (node && !keep) node.replaceWith(fresh);
      S.nodes.set(key(merged), fresh);
      if (stick) requestAnimationFrame(toBottom);
    } else {
      at = S.list.findIndex((x) => !m.pending && (x.pending || x.microseconds > m.microseconds));
      if (at < 0) at = S.list.length;
      S.list.splice(at, 0, m);
      const node = draw(m);
      S.nodes.set(key(m), node);
      const next = S.list[at + 1];
      log.insertBefore(node, next ? S.nodes.get(key(next)) : null);
      if (nearBottom() || mine(m)) requestAnimationFrame(toBottom);
    }
    render();
    markRead();
  }
  const nearBottom = () => log.scrollHeight - log.scrollTop - log.clientHeight < 240;
  const toBottom = () => { log.scrollTop = log.scrollHeight; };

  function draw(m) {
    const who = mine(m) ? "me" : m.bot ? "bot" : "them";
    const el = h("div", { class: `msg ${who}${m.pending ? " pending" : ""}${m.failed ? " failed" : ""}`, "data-id": m.id || null });
    if (who !== "me") el.append(h("span", { class: "author" }, m.agent ? m.agent.name : m.bot ? m.bot.name : ""));
    el.append(m.type === "review" && m.review ? reviewCard(m.review) : h("div", { class: "bubble" }, content(m)));
    const meta = h("span", { class: "meta" }, m.createdAt ? clock(m.createdAt) : "");
    if (who === "me") {
      const state = m.failed ? "Not sent" : m.pending ? "Sending…" : m.status === "read" ? "Read" : m.status === "delivered" ? "Delivered" : "Sent";
      meta.append(h("span", { class: "status " + (m.status || "") }, (m.createdAt ? " · " : "") + state));
      if (m.failed) meta.append(" ", h("button", { class: "link", type: "button", onclick: () => retry(m) }, "Retry"));
    }
    if (m.error) el.append(h("span", { class: "error", role: "alert" }, m.error));
    el.append(meta);
    return el;
  }

  function content(m) {
    const f = m.file;
    if (m.type !== "file" || !f) return m.body || "";
    const name = fileName(f.info);
    if (!f.url) return `${m.pending ? "Uploading " : ""}${name} (${size(f.info.size)})${m.pending ? "…" : ""}`;
    if (f.type === "image") {
      const stick = nearBottom();
      const img = h("img", { src: f.url["520x400"], alt: name, onload: () => stick && toBottom() });
      if (f.meta && f.meta.width) {
        const s = Math.min(1, 520 / f.meta.width, 400 / f.meta.height);
        img.width = Math.round(f.meta.width * s); img.height = Math.round(f.meta.height * s);
      }
      return h("a", { class: "image", href: f.url.default, target: "_blank", rel: "noopener noreferrer", "aria-label": `Image ${name}, open full size` }, img);
    }
    return h("a", { class: "file", href: f.url.default, target: "_blank", rel: "noopener noreferrer", download: name },
      h("span", { class: "fname" }, name), h("span", { class: "fsize" }, size(f.info.size)));
  }

  function reviewCard(r) {
    const name = r.agent ? r.agent.name : "us";
    if (r.confirmed) {
      return h("div", { class: "review done", role: "group", "aria-label": "Your rating" },
        h("p", {}, "Thanks for your feedback!"),
        h("p", { class: "stars", role: "img", "aria-label": `You rated ${r.mark} out of 5` }, "★".repeat(r.mark) + "☆".repeat(5 - r.mark)),
        r.text ? h("p", { class: "comment" }, r.text) : null);
    }
    let mark = r.mark || 0;
    const labels = [];
    const paint = () => labels.forEach((l, i) => l.classList.toggle("on", i < mark));
    const group = h("div", { class: "stars", role: "radiogroup", "aria-label": "Rating" });
    const go = h("button", { class: "primary", type: "submit", disabled: !mark }, "Send rating");
    for (let i = 1; i <= 5; i++) {
      const input = h("input", { type: "radio", name: "mark-" + r.id, value: String(i), id: `mark-${r.id}-${i}`, checked: i === mark,
        onchange: () => { mark = i; paint(); go.disabled = false; } });
      const label = h("label", { for: input.id, title: `${i} of 5` }, h("span", { "aria-hidden": "true" }, "★"), h("span", { class: "sr" }, `${i} star${i > 1 ? "s" : ""}`));
      labels.push(label);
      group.append(input, label);
    }
    const comment = h("textarea", { rows: "2", "aria-label": "Comment (optional)", placeholder: "Add a comment (optional)", maxlength: "2000" });
    comment.value = r.text || "";
    const note = h("p", { class: "error", role: "alert" });
    paint();
    return h("form", { class: "review", "aria-label": `Rate your conversation with ${name}`, onsubmit: async (e) => {
      e.preventDefault();
      go.disabled = true; note.textContent = "";
      try {
        const body = { mark };
        if (comment.value.trim()) body.text = comment.value.trim();
        await api("POST", `/reviews/${r.id}`, body);
        updateReview(await api("POST", `/reviews/${r.id}/confirm`));
      } catch (err) {
        if (err.code === "review_confirmed") return updateReview(Object.assign({}, r, { mark, confirmed: true }));
        note.textContent = err.message; go.disabled = false;
      }
    } }, h("p", {}, `How would you rate ${name}?`), group, comment, note, go);
  }

  function updateReview(review) {
    const m = S.list.find((x) => x.review && x.review.id === review.id);
    if (m) upsert({ id: m.id, review: Object.assign({}, m.review, review) });
  }

  // --- sending: a client uuid, an optimistic echo, reconciled with the server's message by that uuid ------
  async function submitText() {
    const body = text.value.trim();
    if (!body || !canSend()) return;
    text.value = ""; grow(); typingOut(true);
    const m = { uuid: uuid(), type: "text", body, endUser: S.me, pending: true, createdAt: Date.now() / 1000 | 0 };
    upsert(m);
    await deliver(m, () => api("POST", "/messages", { uuid: m.uuid, text: body }));
  }

  async function sendFile(f) {
    if (!canSend()) return;
    const m = { uuid: uuid(), type: "file", body: null, endUser: S.me, pending: true, createdAt: Date.now() / 1000 | 0,
      file: { info: { name: f.name, ext: "", size: f.size } } };
    upsert(m);
    await deliver(m, () => { const form = new FormData(); form.append("uuid", m.uuid); form.append("file", f); return api("POST", "/files", form); });
  }

  async function deliver(m, call) {
    m.call = call;
    try {
      upsert(await call());
    } catch (e) {
      if (e.status === 423) setConversation(Object.assign({}, S.conversation, { locked: true }));
      upsert({ uuid: m.uuid, pending: false, failed: true, error: e.message });
    }
  }

  function retry(m) {
    upsert({ uuid: m.uuid, pending: true, failed: false, error: null });
    deliver(m, m.call);
  }

  function canSend() { return !!(S.me && S.conversation && !S.conversation.locked); }

  function typingOut(stop) {
    if (!S.me) return;
    clearTimeout(S.typingIdle);
    const post = (on) => api("POST", "/typing", { typing: on }).catch(() => {});
    if (stop) { if (S.typingAt) { S.typingAt = 0; post(false); } return; }
    if (Date.now() - S.typingAt > 3000) { S.typingAt = Date.now(); post(true); }
    S.typingIdle = setTimeout(() => typingOut(true), 4000);
  }

  // --- read receipts and the unread badge --------------------------------------------------------------
  const unread = () => S.list.filter((m) => !mine(m) && m.id && m.status !== "read");
  function markRead() {
    clearTimeout(S.readTimer);
    S.readTimer = setTimeout(() => {
      const waiting = unread();
      if (!S.open || document.visibilityState !== "visible" || !waiting.length) return;
      const until = Math.max(...waiting.map((m) => m.microseconds));
      waiting.forEach((m) => (m.status = "read"));
      render();
      api("POST", "/read", { until }).catch(() => {});
    }, 150);
  }

  // --- the frame: header, banner, composer, badge ------------------------------------------------------
  function render() {
    const st = S.settings || {};
    wrap.style.setProperty("--accent", /^#[0-9a-f]{3,8}$/i.test(st.accentColor || "") ? st.accentColor : "#2563eb");
    const c = S.conversation;
    const agent = c && c.assignedAgent;
    title.textContent = agent ? agent.name : st.title || "Chat with us";
    avatar.textContent = "";
    const pic = agent && agent.avatar && agent.avatar.url["120x120"];
    avatar.append(pic ? h("img", { src: pic, alt: "" }) : agent ? initials(agent.name) : svg(ICON.chat));
    const online = !!agent && agent.status === "online";
    presence.className = "presence" + (online ? " online" : "");
    presence.textContent = agent ? (online ? "Online" : "Offline") : "We'll reply as soon as we can";

    const count = S.open ? 0 : unread().length;
    badge.hidden = !count;
    badge.textContent = count > 9 ? "9+" : String(count);
    launcher.setAttribute("aria-label", (S.open ? "Close chat" : "Open chat") + (count ? `, ${count} unread message${count > 1 ? "s" : ""}` : ""));

    let note = "";
    if (!navigator.onLine) note = "You're offline. We'll reconnect when you're back online.";
    else if (S.problem) note = S.problem.message;
    else if (S.conn === "reconnecting") note = "Reconnecting…";
    banner.hidden = !note;
    banner.className = "banner" + (S.problem && navigator.onLine ? " error" : "");
    banner.textContent = note;
    if (navigator.onLine && S.problem && S.problem.status !== 403) {
      banner.append(" ", h("button", { class: "link", type: "button", onclick: () => { S.problem = null; render(); start().catch(() => {}); } }, "Try again"));
    }

    const locked = !!(c && c.locked);
    lockedNote.hidden = !locked;
    composer.hidden = locked;
    text.disabled = attach.disabled = send.disabled = !S.me || locked;
    text.placeholder = S.me ? "Write a message…" : "Connecting…";

    if (!S.list.length) {
      empty.textContent = st.greeting || "Hi! Ask us anything, we're here to help.";
      if (!empty.isConnected) log.append(empty);
    } else if (empty.isConnected) empty.remove();
  }

  // --- open, close, identify ---------------------------------------------------------------------------
  function open() {
    S.open = true;
    panel.hidden = false;
    wrap.classList.add("open");
    launcher.setAttribute("aria-expanded", "true");
    render();
    start().then(() => text.focus(), () => {});
    setTimeout(() => { text.focus(); toBottom(); }, 0);
    markRead();
  }

  function close() {
    S.open = false;
    panel.hidden = true;
    wrap.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    render();
    launcher.focus();
  }

  function identify(token) {
    reset();
    S.token = token; S.identified = true;
    render();
    return start();
  }

  function logout() {
    reset();
    S.token = null; S.identified = false; store.set(null);
    render();
  }

  document.documentElement.append(host); // beside <body>, not in it: the page's body styles don't reach it
  render();
  if (S.token) start().catch(() => {}); // a returning visitor: history, badge and live events without opening

  window.Parley = { version: "1", open, close, identify, logout, toggle: () => (S.open ? close() : open()) };
  window.dispatchEvent(new Event("parley:ready"));

  function CSS() {
    return `
:host{all:initial}
*{box-sizing:border-box}
[hidden]{display:none!important}
.root{--accent:#2563eb;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#0f172a;-webkit-text-size-adjust:100%}
button,textarea,input{font:inherit;color:inherit}
button{cursor:pointer}
button:focus-visible,textarea:focus-visible,a:focus-visible,.log:focus-visible,.stars input:focus-visible+label{outline:2px solid var(--accent);outline-offset:2px}
svg{width:22px;height:22px;display:block}
.launcher{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;padding:0;background:var(--accent);color:#fff;display:grid;place-items:center;box-shadow:0 6px 20px rgba(15,23,42,.3)}
.launcher svg{width:28px;height:28px}
.badge{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#dc2626;color:#fff;font-size:12px;font-weight:700;line-height:22px;text-align:center;border:2px solid #fff}
.panel{position:fixed;right:20px;bottom:88px;width:370px;height:min(600px,calc(100vh - 108px));display:flex;flex-direction:column;background:#fff;border-radius:16px;box-shadow:0 12px 48px rgba(15,23,42,.28);overflow:hidden}
header{display:flex;align-items:center;gap:10px;padding:12px 12px 12px 16px;background:var(--accent);color:#fff}
.avatar{width:38px;height:38px;border-radius:50%;background:rgba(255,255,255,.22);display:grid;place-items:center;font-weight:700;flex:none;overflow:hidden}
.avatar img{width:100%;height:100%;object-fit:cover}
.who{flex:1;min-width:0}
h2{margin:0;font-size:16px;font-weight:650;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.presence{margin:0;font-size:12px;opacity:.9}
.presence.online::before{content:"";display:inline-block;width:8px;height:8px;border-radius:50%;background:#4ade80;margin-right:5px;vertical-align:1px}
.icon{border:0;background:transparent;padding:8px;border-radius:8px;color:inherit;flex:none}
.icon:hover{background:rgba(127,127,127,.15)}
.icon:disabled{opacity:.4;cursor:default}
.banner{margin:0;padding:8px 14px;font-size:13px;background:#fef3c7;color:#78350f}
.banner.error{background:#fee2e2;color:#7f1d1d}
.log{flex:1;overflow-y:auto;margin:0;padding:14px 12px;display:flex;flex-direction:column;gap:8px;background:#f8fafc}
.empty{align-self:center;text-align:center;color:#475569;margin:0;padding:24px 12px;white-space:pre-wrap}
.msg{display:flex;flex-direction:column;max-width:82%;align-self:flex-start}
.msg.me{align-self:flex-end;align-items:flex-end}
.msg.bot{align-self:center;align-items:center;max-width:92%}
.author{font-size:12px;color:#475569;margin:0 4px 2px}
.bubble{padding:8px 12px;border-radius:16px;background:#fff;border:1px solid #e2e8f0;white-space:pre-wrap;overflow-wrap:anywhere;max-width:100%}
.me .bubble{background:var(--accent);border-color:transparent;color:#fff;border-bottom-right-radius:4px}
.them .bubble{border-bottom-left-radius:4px}
.bot .bubble{background:#eef2ff;border-color:#e0e7ff;text-align:center}
.pending .bubble{opacity:.65}
.failed .bubble{opacity:.8;outline:1px solid #dc2626}
.meta{font-size:11px;color:#64748b;margin:2px 4px 0}
.status.read{color:var(--accent);font-weight:600}
.error{color:#b91c1c;font-size:12px;margin:2px 4px 0}
.link{border:0;background:none;padding:0;color:var(--accent);text-decoration:underline;font-size:inherit}
.banner .link{color:inherit}
.bubble a{color:inherit}
.bubble img{display:block;max-width:100%;height:auto;border-radius:10px}
.bubble:has(> a.image){padding:4px}
.file{display:flex;flex-direction:column;text-decoration:none}
.fname{text-decoration:underline;font-weight:600;overflow-wrap:anywhere}
.fsize{font-size:12px;opacity:.8}
.typing{margin:0;padding:0 14px;min-height:18px;font-size:12px;color:#475569;font-style:italic;background:#f8fafc}
.locked{margin:0;padding:14px;text-align:center;color:#475569;border-top:1px solid #e2e8f0}
.composer{display:flex;align-items:flex-end;gap:4px;padding:8px;border-top:1px solid #e2e8f0;background:#fff}
.composer textarea{flex:1;resize:none;border:1px solid #cbd5e1;border-radius:12px;padding:8px 10px;min-height:38px;max-height:120px;background:#fff;line-height:1.4}
.composer textarea:disabled{background:#f1f5f9}
.send{color:var(--accent)}
.review{background:#fff;border:1px solid #e2e8f0;border-radius:14px;padding:12px;display:flex;flex-direction:column;gap:8px;min-width:240px;text-align:center}
.review p{margin:0}
.stars{display:flex;justify-content:center;gap:2px;font-size:26px;line-height:1;color:#f59e0b}
.stars input{position:absolute;opacity:0;width:1px;height:1px}
.stars label{cursor:pointer;color:#cbd5e1;padding:2px}
.stars label.on{color:#f59e0b}
.review textarea{resize:vertical;border:1px solid #cbd5e1;border-radius:10px;padding:6px 8px}
.primary{border:0;border-radius:10px;padding:8px 12px;background:var(--accent);color:#fff;font-weight:600}
.primary:disabled{opacity:.5;cursor:default}
.comment{font-style:italic;color:#475569}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:480px){.panel{inset:0;width:auto;height:auto;border-radius:0}.open .launcher{display:none}.msg{max-width:88%}}
@media (prefers-reduced-motion:no-preference){.launcher{transition:transform .15s}.launcher:hover{transform:scale(1.05)}}
`;
  }
})();

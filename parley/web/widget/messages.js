// The conversation as elements, one per message, keyed like the timeline. A change touches only its own message,
// and in place: the element stays (a screen reader's log announces additions only, so a status becoming "Read"
// is not read out as the whole message again), only moving when the server's order puts it elsewhere.

import { fileName, linkify, size, timeOfDay } from "../core/text.js";
import { h } from "./dom.js";

const STATE_LABELS = { sent: "Sent", delivered: "Delivered", read: "Read" };

/** What the visitor sees of their own message's fate. */
function stateLabel(message) {
  if (message.failed) return "Not sent";
  if (message.waiting) return "Waiting for the connection…";
  if (message.pending) return "Sending…";
  return STATE_LABELS[message.status] || "Sent";
}

/** Everything that shows in the bubble: when it differs, the bubble is drawn again. */
const bubbleOf = (message) =>
  JSON.stringify([message.body, message.file && message.file.url, message.review, message.pending]);

function text(body) {
  return linkify(body || "").map((segment) =>
    segment.href ? h("a", { href: segment.href, target: "_blank", rel: "noopener noreferrer" }, segment.text) : segment.text,
  );
}

/**
 * `log` is the scrolling list; `mine(message)` says whether the visitor wrote it; `retry(message)` sends a failed
 * one again; `rate(review, mark, text)` rates and confirms a review, answering the confirmed review. `apply(changes)`
 * takes the timeline's changes.
 */
export function createMessageList({ log, mine, retry, rate }) {
  const nodes = new Map();

  function image(file, name) {
    const img = h("img", { src: file.url["520x400"], alt: name, onload: keepAtBottom() });
    if (file.meta && file.meta.width) {
      const scale = Math.min(1, 520 / file.meta.width, 400 / file.meta.height);
      img.width = Math.round(file.meta.width * scale);
      img.height = Math.round(file.meta.height * scale);
    }
    const label = `Image ${name}, open full size`;
    return h("a", { class: "image", href: file.url.default, target: "_blank", rel: "noopener noreferrer", "aria-label": label }, img);
  }

  function content(message) {
    const file = message.file;
    if (message.type !== "file" || !file) return text(message.body);
    const name = fileName(file.info);
    if (!file.url) return `${message.pending ? "Uploading " : ""}${name} (${size(file.info.size)})${message.pending ? "…" : ""}`;
    if (file.type === "image") return image(file, name);
    return h(
      "a",
      { class: "file", href: file.url.default, target: "_blank", rel: "noopener noreferrer", download: name },
      h("span", { class: "fname" }, name),
      h("span", { class: "fsize" }, size(file.info.size)),
    );
  }

  function thanks(review) {
    return h(
      "div",
      { class: "review done", role: "group", "aria-label": "Your rating", tabindex: "-1" },
      h("p", {}, "Thanks for your feedback!"),
      h("p", { class: "stars", role: "img", "aria-label": `You rated ${review.mark} out of 5` }, "★".repeat(review.mark) + "☆".repeat(5 - review.mark)),
      review.text ? h("p", { class: "comment" }, review.text) : null,
    );
  }

  function reviewCard(review) {
    if (review.confirmed) return thanks(review);
    const name = review.agent ? review.agent.name : "us";
    let mark = review.mark || 0;
    const labels = [];
    const paint = () => labels.forEach((label, i) => label.classList.toggle("on", i < mark));
    const group = h("div", { class: "stars", role: "radiogroup", "aria-label": "Rating" });
    const go = h("button", { class: "primary", type: "submit", disabled: !mark }, "Send rating");
    for (let i = 1; i <= 5; i++) {
      const id = `mark-${review.id}-${i}`;
      const choose = () => {
        mark = i;
        paint();
        go.disabled = false;
      };
      const input = h("input", { type: "radio", name: `mark-${review.id}`, value: String(i), id, checked: i === mark, onchange: choose });
      const label = h("label", { for: id, title: `${i} of 5` }, h("span", { "aria-hidden": "true" }, "★"), h("span", { class: "sr" }, `${i} star${i > 1 ? "s" : ""}`));
      labels.push(label);
      group.append(input, label);
    }
    const comment = h("textarea", { rows: "2", "aria-label": "Comment (optional)", placeholder: "Add a comment (optional)", maxlength: "2000" });
    comment.value = review.text || "";
    const note = h("p", { class: "error", role: "alert" });
    paint();
    const submit = async (e) => {
      e.preventDefault();
      e.target.sending = true; // its thanks take the focus when they replace it
      go.disabled = true;
      note.textContent = "";
      try {
        await rate(review, mark, comment.value.trim());
      } catch (error) {
        e.target.sending = false;
        note.textContent = error.message;
        go.disabled = false;
      }
    };
    const title = `Rate your conversation with ${name}`;
    return h("form", { class: "review", "aria-label": title, onsubmit: submit }, h("p", {}, `How would you rate ${name}?`), group, comment, note, go);
  }

  function bubble(message) {
    if (message.type === "review" && message.review) return reviewCard(message.review);
    return h("div", { class: "bubble", dir: "auto" }, content(message));
  }

  function draw(message) {
    const who = mine(message) ? "me" : message.bot ? "bot" : "them";
    const el = h("div", { class: `msg ${who}` });
    if (who !== "me") el.append(h("span", { class: "author" }, message.agent ? message.agent.name : message.bot ? message.bot.name : ""));
    const status = h("span", { class: "status" });
    const again = h("button", { class: "link", type: "button", hidden: true, onclick: () => retry(el.message) }, "Retry");
    const meta = h("span", { class: "meta", "aria-live": "off" }, message.createdAt ? timeOfDay(message.createdAt) : "", who === "me" ? [status, again] : null);
    const error = h("span", { class: "error", role: "alert", hidden: true });
    el.append(bubble(message), error, meta);
    Object.assign(el, { message, parts: { status, again, error } });
    return el;
  }

  /** The element shows `message` now: its bubble only if what it shows changed, a review being filled in kept. */
  function update(el, message) {
    const previous = el.message;
    el.message = message;
    const card = el.querySelector(".review");
    const focused = !!card && (card.sending || card.contains(log.getRootNode().activeElement));
    if (focused && !message.review?.confirmed) return; // a rating being filled in is left alone
    if (bubbleOf(previous) !== bubbleOf(message)) {
      const fresh = bubble(message);
      el.querySelector(".bubble, .review").replaceWith(fresh);
      if (focused) fresh.focus(); // the rating sent: its thanks take the focus, which would otherwise fall to the page
    }
  }

  function paint(el) {
    const message = el.message;
    el.classList.toggle("pending", !!(message.pending || message.waiting));
    el.classList.toggle("failed", !!message.failed);
    if (message.id) el.dataset.messageId = message.id;
    const { status, again, error } = el.parts;
    const label = ` · ${stateLabel(message)}`;
    if (status.textContent !== label) status.textContent = label;
    status.className = `status ${message.failed ? "" : message.status || ""}`;
    again.hidden = !message.failed;
    error.hidden = !message.error;
    error.textContent = message.error || "";
  }

  function nearBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 240;
  }

  function toBottom() {
    log.scrollTop = log.scrollHeight;
  }

  /** A handler that scrolls to the bottom if the list was there when it was made (an image loading later). */
  function keepAtBottom() {
    const stick = nearBottom();
    return () => stick && toBottom();
  }

  function apply(changes) {
    const stick = nearBottom();
    let written = false;
    for (const { key, previousKey, message, before } of changes) {
      let el = nodes.get(previousKey || key);
      if (el) {
        nodes.delete(previousKey || key);
        update(el, message);
      } else {
        el = draw(message);
        written ||= !!message.pending; // the visitor just wrote it: show it, wherever they had scrolled
      }
      nodes.set(key, el);
      paint(el);
      const next = (before && nodes.get(before)) || null;
      if (el.parentNode !== log || el.nextSibling !== next) log.insertBefore(el, next);
    }
    if (stick || written) requestAnimationFrame(toBottom);
  }

  function clear() {
    for (const el of nodes.values()) el.remove();
    nodes.clear();
  }

  return { apply, clear, toBottom };
}

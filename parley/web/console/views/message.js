// One entry of the thread: a message (its author, its content: text with links, a picture, a file, a review; for the
// team's messages, how far it got; a note, marked as the team's alone) or a line saying who did what to the
// conversation. Text always goes in as text, never as HTML.

import { html } from "../vendor/htm-preact/standalone.module.js";
import { fileName, linkify, size, when } from "../core/text.js";
import { activityText } from "../activity.js";
import { authorName, stars } from "../format.js";
import { wakeTime } from "../snooze.js";
import { pure } from "./pure.js";

/** A message's key in the list, the same from our pending copy to the stored message (both carry our `uuid`), so
 * that the element stays the same one: a new element would be news to assistive technology. */
export const renderKey = (message) => (message.uuid ? `u:${message.uuid}` : message.id);

const sideOf = (message) => (message.type === "note" ? "note" : message.agent ? "agent" : message.bot ? "bot" : "visitor");

/** How far one of the team's messages got; a note goes nowhere beyond the team. */
function delivery(message) {
  if (message.failed) return "Not sent";
  if (message.pending) return "Sending…";
  if (message.type === "note") return "Only the team sees this";
  return message.status === "read" ? "Read" : "Delivered";
}

const external = { target: "_blank", rel: "noopener noreferrer" };

/** Text with its http(s) addresses as links that open in a new tab and tell the other site nothing. */
const Linked = ({ text }) =>
  linkify(text).map((part) => (part.href ? html`<a href=${part.href} ...${external}>${part.text}</a>` : part.text));

function Review({ review }) {
  return html`<div class="review">
    <strong>Review of ${review.agent ? review.agent.name : "the agent"}: </strong>
    ${review.mark
      ? html`<span class="stars" role="img" aria-label=${`${review.mark} out of 5`}>${stars(review.mark)}</span>`
      : html`<span class="muted">waiting for the visitor's rating</span>`}
    ${review.text ? html`<q class="comment">${review.text}</q>` : null}
    <span class="muted">${review.confirmed ? " (confirmed)" : review.mark ? " (not confirmed yet)" : ""}</span>
  </div>`;
}

function Attachment({ message }) {
  const file = message.file;
  const name = fileName(file.info);
  if (!file.url) return `${message.pending ? "Uploading " : ""}${name} (${size(file.info.size)})`;
  if (file.type === "image") {
    const meta = file.meta || {};
    const scale = meta.width ? Math.min(1, 520 / meta.width, 400 / meta.height) : 0;
    return html`<a class="image" href=${file.url.default} ...${external}>
      <img
        src=${file.url["520x400"]}
        alt=${name}
        width=${scale ? Math.round(meta.width * scale) : undefined}
        height=${scale ? Math.round(meta.height * scale) : undefined}
      />
    </a>`;
  }
  return html`<a class="file" href=${file.url.default} download=${name} ...${external}>
    <span class="fname">${name}</span>
    <span class="fsize">${size(file.info.size)}</span>
  </a>`;
}

function Content({ message }) {
  if (message.type === "review" && message.review) return html`<${Review} review=${message.review} />`;
  if (message.type === "file" && message.file) return html`<${Attachment} message=${message} />`;
  return html`<${Linked} text=${message.body || ""} />`;
}

/** `visitor` is the visitor's name, the author of their messages; `found` marks the message a search opened. */
export const Message = pure(({ message, visitor, found }) => {
  const side = sideOf(message);
  const state = `${message.pending ? " pending" : ""}${message.failed ? " failed" : ""}${found ? " found" : ""}`;
  return html`<li class=${`msg ${side}${state}`} data-message-id=${message.id || undefined} tabindex=${found ? "-1" : undefined}>
    <span class="author" dir="auto">${authorName(message, visitor)}</span>
    <div class="bubble" dir="auto"><${Content} message=${message} /></div>
    ${message.error ? html`<span class="error">${message.error}</span>` : null}
    <span class="meta">
      ${message.createdAt ? when(message.createdAt) : ""}
      ${side === "agent" || side === "note"
        ? html`<span class=${`status ${message.status || ""}`}> · ${delivery(message)}</span>`
        : null}
    </span>
  </li>`;
});

/** Who did what, as a line of the timeline between the messages it came between. */
export const Activity = pure(({ activity, meId, visitor }) => {
  const now = new Date();
  const text = activityText(activity, { meId, visitor, wakeTime: (until) => wakeTime(until, now) });
  return html`<li class=${`event ${activity.kind}`}>
    <span class="event-text" dir="auto">${text}</span>
    <span class="meta">${when(activity.createdAt)}</span>
  </li>`;
});

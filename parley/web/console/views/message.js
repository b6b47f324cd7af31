// One message of the thread: its author, its content (text with links, a picture, a file, a review) and, for the
// team's messages, how far it got. Text always goes in as text, never as HTML.

import { html } from "../vendor/htm-preact/standalone.module.js";
import { fileName, linkify, size, when } from "../core/text.js";
import { authorName, stars } from "../format.js";
import { pure } from "./pure.js";

/** A message's key in the list, the same from our pending copy to the stored message (both carry our `uuid`), so
 * that the element stays the same one: a new element would be news to assistive technology. */
export const renderKey = (message) => (message.uuid ? `u:${message.uuid}` : message.id);

const sideOf = (message) => (message.agent ? "agent" : message.bot ? "bot" : "visitor");

function delivery(message) {
  if (message.failed) return "Not sent";
  if (message.pending) return "Sending…";
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

/** `visitor` is the visitor's name, the author of their messages. */
export const Message = pure(({ message, visitor }) => {
  const side = sideOf(message);
  const classes = `msg ${side}${message.pending ? " pending" : ""}${message.failed ? " failed" : ""}`;
  return html`<li class=${classes} data-message-id=${message.id || undefined}>
    <span class="author" dir="auto">${authorName(message, visitor)}</span>
    <div class="bubble" dir="auto"><${Content} message=${message} /></div>
    ${message.error ? html`<span class="error">${message.error}</span>` : null}
    <span class="meta">
      ${message.createdAt ? when(message.createdAt) : ""}
      ${side === "agent" ? html`<span class=${`status ${message.status || ""}`}> · ${delivery(message)}</span>` : null}
    </span>
  </li>`;
});

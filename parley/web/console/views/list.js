// The conversation list: one keyed row per conversation, most recently active first, drawn again only when its own
// data changed.

import { html } from "../vendor/htm-preact/standalone.module.js";
import { when } from "../core/text.js";
import { holder, lastActivity, preview, rowLabel, visitorName } from "../format.js";
import { pure } from "./pure.js";

const Row = pure(({ row, open, unread, meId, onOpen }) => {
  const conversation = row.conversation;
  const agent = conversation.assignedAgent;
  const tags = [];
  if (agent) tags.push(agent.id === meId ? "Mine" : agent.name);
  if (conversation.locked) tags.push("Locked");
  return html`<li>
    <button
      type="button"
      class=${`row${open ? " open" : ""}${unread ? " unread" : ""}`}
      aria-current=${open ? "true" : undefined}
      aria-label=${rowLabel(row, unread, meId)}
      title=${holder(conversation, meId)}
      data-conversation-id=${conversation.id}
      onClick=${() => onOpen(conversation.id)}
    >
      <span class="line">
        <span class="name" dir="auto">${visitorName(conversation)}</span>
        <span class="time">${when(lastActivity(row))}</span>
      </span>
      <span class="line">
        <span class="preview" dir="auto">${preview(row.lastMessage)}</span>
        ${unread ? html`<span class="unread-count" aria-hidden="true">${unread}</span>` : null}
      </span>
      ${tags.length ? html`<span class="tags">${tags.map((tag) => html`<span class="tag">${tag}</span>`)}</span>` : null}
    </button>
  </li>`;
});

export function ConversationList({ model }) {
  const { state } = model;
  const rows = model.rowsInOrder();
  const openId = state.thread?.id;
  return html`<nav class="sidebar" aria-labelledby="list-title">
    <h2 id="list-title" class="sr">Conversations</h2>
    <ul class="conversations">
      ${rows.map(
        (row) => html`<${Row}
          key=${row.conversation.id}
          row=${row}
          open=${row.conversation.id === openId}
          unread=${model.unreadOf(row)}
          meId=${state.me.id}
          onOpen=${model.openConversation}
        />`,
      )}
    </ul>
    ${rows.length
      ? null
      : html`<p class="muted pad">No conversations yet. Open the demo page in another tab and say hello.</p>`}
    ${state.older
      ? html`<button type="button" class="ghost more" onClick=${model.loadOlderConversations}>
          Load older conversations
        </button>`
      : null}
  </nav>`;
}

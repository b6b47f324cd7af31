// The inbox beside the open conversation: the search box, the views with their live counts, the label filter and the
// order, then one keyed row per conversation of the chosen view (drawn again only when its own data changed), or the
// search's results while there is a search.

import { html, useRef } from "../vendor/htm-preact/standalone.module.js";
import { when } from "../core/text.js";
import {
  authorName,
  holder,
  labelsText,
  lastActivity,
  preview,
  rowLabel,
  statusName,
  summary,
  visitorName,
} from "../format.js";
import { SORTS, VIEWS } from "../inbox.js";
import { LONGEST_QUERY } from "../search.js";
import { useFocusRequest } from "./focus.js";
import { pure } from "./pure.js";

const Labels = ({ labels }) =>
  labels && labels.length
    ? html`<span class="labels" aria-hidden="true">${labels.map((label) => html`<span class="label">${label}</span>`)}</span>`
    : null;

const Row = pure(({ row, open, unread, meId, waiting, onOpen }) => {
  const conversation = row.conversation;
  const agent = conversation.assignedAgent;
  const tags = [];
  if (conversation.status === "snoozed") tags.push(statusName(conversation));
  if (waiting && conversation.waitingSince) tags.push(`Waiting since ${when(conversation.waitingSince)}`);
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
      ${tags.length || conversation.labels?.length
        ? html`<span class="tags">
            ${tags.map((tag) => html`<span class="tag">${tag}</span>`)}<${Labels} labels=${conversation.labels} />
          </span>`
        : null}
    </button>
  </li>`;
});

function SearchBox({ model }) {
  const { search, focus } = model.state;
  const field = useRef(null);
  useFocusRequest(focus, "search", field);

  function keyDown(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      model.clearSearch();
      field.current.blur();
    }
  }

  return html`<form role="search" class="search" onSubmit=${(event) => event.preventDefault()}>
    <input
      id="search"
      type="search"
      aria-label="Search conversations"
      placeholder="Search messages, notes and visitors"
      maxlength=${LONGEST_QUERY}
      autocomplete="off"
      value=${search.query}
      ref=${field}
      onInput=${(event) => model.searchFor(event.currentTarget.value)}
      onKeyDown=${keyDown}
    />
  </form>`;
}

function Views({ model }) {
  const { filter, counts } = model.state;
  return html`<ul class="views" aria-label="Views">
    ${VIEWS.map((view, at) => {
      const count = counts ? counts[view.id] : null;
      return html`<li key=${view.id}>
        <button
          type="button"
          class=${`view${filter.view === view.id ? " chosen" : ""}`}
          aria-current=${filter.view === view.id ? "true" : undefined}
          aria-label=${count === null ? view.name : `${view.name}, ${count} conversations`}
          aria-keyshortcuts=${String(at + 1)}
          data-view=${view.id}
          onClick=${() => model.filterBy({ view: view.id })}
        >
          <span class="view-name">${view.name}</span>
          <span class="count">${count ?? ""}</span>
        </button>
      </li>`;
    })}
  </ul>`;
}

function Filters({ model }) {
  const { filter, labels } = model.state;
  const chosenMissing = filter.label && !labels.some((label) => label.name === filter.label);
  return html`<div class="filters">
    <label>
      <span class="sr">Label</span>
      <select id="label-filter" aria-label="Label" onChange=${(event) => model.filterBy({ label: event.currentTarget.value || null })}>
        <option value="" selected=${!filter.label}>All labels</option>
        ${labels.map(
          (label) => html`<option value=${label.name} selected=${filter.label === label.name}>
            ${label.name} (${label.count})
          </option>`,
        )}
        ${chosenMissing ? html`<option value=${filter.label} selected>${filter.label} (0)</option>` : null}
      </select>
    </label>
    <label>
      <span class="sr">Order</span>
      <select id="sort" aria-label="Order" onChange=${(event) => model.filterBy({ sort: event.currentTarget.value })}>
        ${SORTS.map((sort) => html`<option value=${sort.id} selected=${filter.sort === sort.id}>${sort.name}</option>`)}
      </select>
    </label>
  </div>`;
}

/** One conversation a search found, opened at the message that matched (or at its newest, when its visitor did). */
function Result({ found, open, onOpen }) {
  const { conversation, message } = found;
  const visitor = visitorName(conversation);
  const what = message ? `${authorName(message, visitor)}: ${summary(message)}` : "The visitor's name or email matches";
  const at = message ? message.createdAt : conversation.updatedAt;
  const status = statusName(conversation);
  return html`<li>
    <button
      type="button"
      class=${`row result${open ? " open" : ""}`}
      aria-current=${open ? "true" : undefined}
      aria-label=${[visitor, what, when(at), status, labelsText(conversation.labels)].filter(Boolean).join(", ")}
      data-result-for=${conversation.id}
      onClick=${() => onOpen(found)}
    >
      <span class="line">
        <span class="name" dir="auto">${visitor}</span>
        <span class="time">${when(at)}</span>
      </span>
      <span class="snippet" dir="auto">${what}</span>
      <span class="tags"><span class="tag">${status}</span><${Labels} labels=${conversation.labels} /></span>
    </button>
  </li>`;
}

function Results({ model }) {
  const { search, thread } = model.state;
  const results = search.results || [];
  const told = search.busy ? "Searching…" : results.length === 1 ? "1 conversation found" : `${results.length || "No"} conversations found`;
  return html`<section class="results" aria-label="Search results">
    <div class="found">
      <p class="muted" role="status">${told}</p>
      <button type="button" class="ghost" onClick=${model.clearSearch}>Clear search</button>
    </div>
    <ol class="conversations">
      ${results.map(
        (found) => html`<${Result}
          key=${found.conversation.id}
          found=${found}
          open=${thread?.id === found.conversation.id}
          onOpen=${model.openResult}
        />`,
      )}
    </ol>
  </section>`;
}

const EMPTY = {
  mine: "Nothing assigned to you is open.",
  unassigned: "Every open conversation has someone.",
  open: "No open conversations. Open the demo page in another tab and say hello.",
  pending: "Nothing is pending.",
  snoozed: "Nothing is snoozed.",
  resolved: "Nothing resolved yet.",
};

function Rows({ model }) {
  const { state } = model;
  const rows = model.rowsInOrder();
  const openId = state.thread?.id;
  const { view, label, sort } = state.filter;
  return html`<ul class="conversations">
      ${rows.map(
        (row) => html`<${Row}
          key=${row.conversation.id}
          row=${row}
          open=${row.conversation.id === openId}
          unread=${model.unreadOf(row)}
          meId=${state.me.id}
          waiting=${sort === "waiting"}
          onOpen=${model.openConversation}
        />`,
      )}
    </ul>
    ${rows.length ? null : html`<p class="muted pad">${label ? `No conversations here carry “${label}”.` : EMPTY[view]}</p>`}
    ${state.older
      ? html`<button type="button" class="ghost more" onClick=${model.loadOlderConversations}>
          Load older conversations
        </button>`
      : null}`;
}

export function ConversationList({ model }) {
  const searching = model.state.search.results !== null;
  return html`<nav class="sidebar" aria-labelledby="list-title">
    <h2 id="list-title" class="sr">Conversations</h2>
    <${SearchBox} model=${model} />
    ${searching ? null : html`<${Views} model=${model} /><${Filters} model=${model} />`}
    <div class="scroll">${searching ? html`<${Results} model=${model} />` : html`<${Rows} model=${model} />`}</div>
  </nav>`;
}

// The open conversation: who it is with and what can be done to it, its messages (the newest page first, older
// pages as the agent scrolls up), the visitor's typing, and the reply box with its per-conversation draft.

import { html, useEffect, useLayoutEffect, useRef } from "../vendor/htm-preact/standalone.module.js";
import { holder, visitorName } from "../format.js";
import { Message, renderKey } from "./message.js";

const OLDER_AT_PX = 300; // this close to the top, the next older page is fetched

/** How far the history is scrolled from its top (its scroll origin is at the bottom: see the stylesheet). */
const fromTop = (history) => history.scrollHeight - history.clientHeight + history.scrollTop;

/**
 * The history scrolls from the bottom up (`flex-direction: column-reverse` around the list), so the browser itself
 * keeps the newest message in view as messages arrive, and keeps what is in view still when an older page is put
 * above it: no scroll position is read or written while drawing, which would make the page lay out again each time.
 */
function MessageList({ messages, visitor, meId, loading, onOlder }) {
  const history = useRef(null);
  const newest = messages.at(-1);
  useEffect(() => {
    const element = history.current;
    if (newest && newest.pending && newest.agent?.id === meId) element.scrollTop = 0; // what the agent just sent
    if (fromTop(element) < OLDER_AT_PX) onOlder(); // not enough to scroll up through yet
  }, [messages]);

  return html`<div
    id="messages"
    class="history"
    tabindex="0"
    aria-label="Messages"
    aria-busy=${loading ? "true" : "false"}
    ref=${history}
    onScroll=${(event) => fromTop(event.currentTarget) < OLDER_AT_PX && onOlder()}
  >
    <ol class="messages">
      ${loading ? html`<li class="loading muted" key="loading">Loading…</li>` : null}
      ${messages.map((message) => html`<${Message} key=${renderKey(message)} message=${message} visitor=${visitor} />`)}
    </ol>
  </div>`;
}

function Composer({ model, conversationId, visitor, locked }) {
  const box = useRef(null);
  const drafts = model.drafts();
  useLayoutEffect(() => {
    box.current.value = drafts.load(conversationId);
    if (!locked) box.current.focus();
  }, []);

  function send(event) {
    event.preventDefault();
    const text = box.current.value.trim();
    if (!text) return;
    box.current.value = "";
    drafts.save(conversationId, "");
    model.sendText(text);
  }

  function keyDown(event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      event.currentTarget.form.requestSubmit();
    }
  }

  function input(event) {
    drafts.save(conversationId, event.currentTarget.value);
    model.typed();
  }

  function attach(event) {
    const file = event.currentTarget.files[0];
    event.currentTarget.value = "";
    if (file) model.sendFile(file);
  }

  return html`<form class="composer" onSubmit=${send}>
    <label class="attach" title="Attach a file">
      <input id="file" type="file" class="sr" disabled=${locked} onChange=${attach} />
      <svg viewBox="0 0 24 24" aria-hidden="true">
        <path
          fill="currentColor"
          d="M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6z"
        />
      </svg>
      <span class="sr">Attach a file</span>
    </label>
    <textarea
      id="text"
      rows="2"
      maxlength="10000"
      aria-label=${`Reply to ${visitor}`}
      placeholder=${locked
        ? "This conversation is locked: unlock it to reply"
        : "Write a reply (Enter sends, Shift+Enter for a new line)"}
      disabled=${locked}
      ref=${box}
      onInput=${input}
      onKeyDown=${keyDown}
    ></textarea>
    <button type="submit" class="primary" disabled=${locked}>Send</button>
  </form>`;
}

function Actions({ model, conversation, meId }) {
  const agent = conversation.assignedAgent;
  const mine = agent?.id === meId;
  const locked = conversation.locked;
  return html`<div class="actions">
    <button type="button" aria-label=${mine ? "Unassign me" : "Assign to me"} onClick=${() => model.act(mine ? "unassign" : "assign")}>
      ${mine ? "Unassign" : "Assign to me"}
    </button>
    <button type="button" aria-label=${locked ? "Unlock conversation" : "Lock conversation"} onClick=${() => model.act(locked ? "unlock" : "lock")}>
      ${locked ? "Unlock" : "Lock"}
    </button>
    <button
      type="button"
      disabled=${!agent || locked}
      title=${agent ? "Ask the visitor to rate the conversation" : "Assign the conversation first"}
      onClick=${() => model.act("request-review")}
    >
      Request review
    </button>
  </div>`;
}

export function Thread({ model }) {
  const { state } = model;
  const thread = state.thread;
  const row = state.rows.get(thread.id);
  if (!row) return null;
  const conversation = row.conversation;
  const visitor = visitorName(conversation);
  const meId = state.me.id;
  const headline = conversation.locked ? `${holder(conversation, meId)} · Locked` : holder(conversation, meId);
  return html`<section class="thread" aria-labelledby="thread-title" data-conversation-id=${conversation.id}>
    <header class="thread-head">
      <button type="button" class="ghost back" aria-label="Back to the conversations" onClick=${model.closeConversation}>
        ←
      </button>
      <div class="who">
        <h2 id="thread-title" dir="auto">${visitor}</h2>
        <p id="thread-sub" class="muted">${headline}</p>
      </div>
      <${Actions} model=${model} conversation=${conversation} meId=${meId} />
    </header>
    <${MessageList}
      key=${thread.id}
      messages=${model.messages()}
      visitor=${visitor}
      meId=${meId}
      loading=${thread.loadingOlder}
      onOlder=${model.loadOlderMessages}
    />
    <p class="typing" aria-live="polite">${state.theyAreTyping ? `${visitor} is typing…` : ""}</p>
    <div class="sr" aria-live="polite" data-announcements>
      ${state.announcements.map((said) => html`<p key=${said.key}>${said.text}</p>`)}
    </div>
    <${Composer} key=${thread.id} model=${model} conversationId=${thread.id} visitor=${visitor} locked=${conversation.locked} />
  </section>`;
}

// The open conversation: who it is with, where it stands and what can be done to it (status, snooze, labels,
// assignment, lock, review), its timeline (messages, notes and who did what; the newest page first, older pages as the
// agent scrolls up), the visitor's typing, and the reply box, which writes either a reply or a note for the team.

import { html, useEffect, useLayoutEffect, useRef, useState } from "../vendor/htm-preact/standalone.module.js";
import { insertCanned, matchCanned, slashQuery } from "../canned.js";
import { holder, statusName, visitorName } from "../format.js";
import { localInputValue, pickedTime, snoozeChoices, wakeTime } from "../snooze.js";
import { useFocusRequest } from "./focus.js";
import { Activity, Message, renderKey } from "./message.js";

const OLDER_AT_PX = 300; // this close to the top, the next older page is fetched

/** How far the history is scrolled from its top (its scroll origin is at the bottom: see the stylesheet). */
const fromTop = (history) => history.scrollHeight - history.clientHeight + history.scrollTop;

/** Moves the keyboard out of a field to the timeline, where the shortcuts work. */
const leaveField = () => document.getElementById("messages")?.focus();

/**
 * The history scrolls from the bottom up (`flex-direction: column-reverse` around the list), so the browser itself
 * keeps the newest message in view as messages arrive, and keeps what is in view still when an older page is put
 * above it: no scroll position is read or written while drawing, which would make the page lay out again each time,
 * except to bring the agent's own new message, or the message a search found, into view.
 */
function Timeline({ entries, visitor, meId, found, loading, onOlder }) {
  const history = useRef(null);
  const shownFound = useRef(null);
  const newest = entries.findLast((entry) => !entry.actor);
  useEffect(() => {
    const element = history.current;
    if (newest && newest.pending && newest.agent?.id === meId) element.scrollTop = 0; // what the agent just sent
    const target = found && shownFound.current !== found && element.querySelector(`[data-message-id="${CSS.escape(found)}"]`);
    if (target) {
      shownFound.current = found;
      target.scrollIntoView({ block: "center" });
    }
    if (fromTop(element) < OLDER_AT_PX) onOlder(); // not enough to scroll up through yet
  }, [entries]);

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
      ${entries.map((entry) =>
        entry.actor
          ? html`<${Activity} key=${`a:${entry.id}`} activity=${entry} meId=${meId} visitor=${visitor} />`
          : html`<${Message} key=${renderKey(entry)} message=${entry} visitor=${visitor} found=${entry.id === found} />`,
      )}
    </ol>
  </div>`;
}

/** The canned responses on offer while the agent types `/...`, as a listbox the reply box points into. */
function CannedOffer({ options, active, onPick }) {
  return html`<ul id="canned" class="canned" role="listbox" aria-label="Canned responses">
    ${options.map(
      (response, at) => html`<li
        key=${response.id}
        id=${`canned-${response.id}`}
        role="option"
        aria-selected=${at === active ? "true" : "false"}
        class=${at === active ? "active" : ""}
        onMouseDown=${(event) => event.preventDefault() /* the reply box keeps the focus */}
        onClick=${() => onPick(response)}
      >
        <strong>/${response.shortcut}</strong>
        <span class="canned-text">${response.text}</span>
      </li>`,
    )}
  </ul>`;
}

/**
 * Writes a reply or, in note mode, a note for the team. Each mode has its own draft and its own route, and the box
 * shows the draft of the mode it is in: text written as a note is only ever sent as a note. Note mode lasts until the
 * agent leaves it, so that the next note never becomes a reply by itself; it sends no typing signal to the visitor,
 * and works on a locked conversation, where replies cannot go.
 */
function Composer({ model, conversationId, visitor, locked }) {
  const { state } = model;
  const drafts = model.drafts();
  const mode = model.modeOf(conversationId);
  const note = mode === "note";
  const closed = locked && !note;
  const box = useRef(null);
  const [slash, setSlash] = useState(null); // the `/query` being typed: {start, query, active}
  const dismissed = useRef(-1); // where the slash is whose offer the agent closed
  const options = slash ? matchCanned(state.canned, slash.query) : [];
  const active = Math.min(slash ? slash.active : 0, options.length - 1);
  useFocusRequest(state.focus, "compose", box);
  useLayoutEffect(() => {
    box.current.value = drafts.load(conversationId, mode);
    setSlash(null);
  }, [mode]);
  useLayoutEffect(() => {
    if (!closed) box.current.focus();
  }, []);

  function send(event) {
    event.preventDefault();
    const text = box.current.value.trim();
    if (!text) return;
    box.current.value = "";
    drafts.save(conversationId, "", mode);
    setSlash(null);
    if (note) model.sendNote(text);
    else model.sendText(text);
  }

  /** Offers canned responses while the caret ends a `/query`. */
  function lookForSlash() {
    const element = box.current;
    const caret = element.selectionStart === element.selectionEnd ? element.selectionStart : -1;
    const found = caret >= 0 ? slashQuery(element.value, caret) : null;
    if (!found) dismissed.current = -1;
    if (!found || found.start === dismissed.current) {
      setSlash(null);
      return;
    }
    if (!slash) model.loadCanned(); // a fresh offer: what the team has now
    setSlash({ ...found, active: slash && slash.start === found.start ? slash.active : 0 });
  }

  function pick(response) {
    const element = box.current;
    const inserted = insertCanned(element.value, element.selectionStart, slash, response);
    element.value = inserted.text;
    element.setSelectionRange(inserted.caret, inserted.caret);
    element.focus();
    drafts.save(conversationId, inserted.text, mode);
    setSlash(null);
  }

  function offerKey(event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const step = event.key === "ArrowDown" ? 1 : -1;
      setSlash({ ...slash, active: (active + step + options.length) % options.length });
    } else if ((event.key === "Enter" && !event.shiftKey) || event.key === "Tab") pick(options[active]);
    else if (event.key === "Escape") {
      dismissed.current = slash.start;
      setSlash(null);
    } else {
      if (["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) setSlash(null); // the caret leaves the query
      return;
    }
    event.preventDefault();
  }

  function keyDown(event) {
    if (event.isComposing) return;
    if (options.length) offerKey(event);
    else if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      event.currentTarget.form.requestSubmit();
    } else if (event.key === "Escape") {
      event.preventDefault();
      leaveField();
    }
  }

  function input(event) {
    drafts.save(conversationId, event.currentTarget.value, mode);
    if (!note) model.typed(); // a note is not for the visitor: they are not told anyone types
    lookForSlash();
  }

  function attach(event) {
    const file = event.currentTarget.files[0];
    event.currentTarget.value = "";
    if (file) model.sendFile(file);
  }

  const choose = (chosen) => () => model.setMode(conversationId, chosen);
  const placeholder = note
    ? "Write a note for the team: the visitor never sees it"
    : locked
      ? "This conversation is locked: unlock it to reply (notes still work)"
      : "Write a reply (Enter sends, Shift+Enter for a new line, / for canned responses)";
  return html`<form class=${`composer${note ? " note-mode" : ""}`} onSubmit=${send}>
    <div class="compose-head">
      <div class="modes" role="radiogroup" aria-label="Write">
        <label class=${`mode${note ? "" : " chosen"}`}>
          <input type="radio" name="compose-mode" value="reply" checked=${!note} onChange=${choose("reply")} />
          Reply
        </label>
        <label class=${`mode note${note ? " chosen" : ""}`}>
          <input type="radio" name="compose-mode" value="note" checked=${note} onChange=${choose("note")} />
          Internal note
        </label>
      </div>
      ${note
        ? html`<p id="note-hint" class="note-hint">Only your team sees notes: the visitor never does.</p>`
        : null}
    </div>
    <div class="compose-row">
      ${note
        ? null
        : html`<label class="attach" title="Attach a file">
            <input id="file" type="file" class="sr" disabled=${locked} onChange=${attach} />
            <svg viewBox="0 0 24 24" aria-hidden="true">
              <path
                fill="currentColor"
                d="M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6z"
              />
            </svg>
            <span class="sr">Attach a file</span>
          </label>`}
      <div class="box">
        ${options.length ? html`<${CannedOffer} options=${options} active=${active} onPick=${pick} />` : null}
        <textarea
          id="text"
          rows="2"
          maxlength="10000"
          aria-label=${note ? `Internal note about ${visitor}` : `Reply to ${visitor}`}
          aria-describedby=${note ? "note-hint" : undefined}
          aria-autocomplete="list"
          aria-controls=${options.length ? "canned" : undefined}
          aria-activedescendant=${options.length ? `canned-${options[active].id}` : undefined}
          placeholder=${placeholder}
          disabled=${closed}
          ref=${box}
          onInput=${input}
          onClick=${lookForSlash}
          onKeyDown=${keyDown}
        ></textarea>
      </div>
      <button type="submit" class=${note ? "add-note" : "primary"} disabled=${closed}>${note ? "Add note" : "Send"}</button>
    </div>
  </form>`;
}

function Actions({ model, conversation, meId }) {
  const agent = conversation.assignedAgent;
  const mine = agent?.id === meId;
  const locked = conversation.locked;
  return html`<div class="actions">
    <button
      type="button"
      aria-label=${mine ? "Unassign me" : "Assign to me"}
      aria-keyshortcuts="a"
      onClick=${() => model.act(mine ? "unassign" : "assign")}
    >
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

/** Resolve, reopen, mark pending, snooze: whichever leads somewhere from where the conversation stands. */
function StatusActions({ model, conversation }) {
  const status = conversation.status || "open";
  const snoozing = model.state.snoozing;
  const to = (next) => () => model.setStatus(next);
  return html`<div class="actions status-actions">
    ${status === "resolved"
      ? null
      : html`<button type="button" class="resolve" aria-keyshortcuts="e" title="Resolve (e)" onClick=${to("resolved")}>
          Resolve
        </button>`}
    ${status === "open"
      ? null
      : html`<button type="button" aria-keyshortcuts="o" title="Reopen (o)" onClick=${to("open")}>Reopen</button>`}
    ${status === "pending"
      ? null
      : html`<button type="button" aria-keyshortcuts="p" title="Mark pending (p)" onClick=${to("pending")}>
          Mark pending
        </button>`}
    <button
      id="snooze-toggle"
      type="button"
      aria-expanded=${snoozing ? "true" : "false"}
      aria-controls="snooze"
      aria-keyshortcuts="s"
      title="Snooze (s)"
      onClick=${() => model.showSnooze(!snoozing)}
    >
      Snooze…
    </button>
  </div>`;
}

/** Until when to snooze: an hour, tomorrow morning, next week (each with the time it means, in the agent's own time
 * zone), or a date and time the agent picks. */
function SnoozeChoices({ model }) {
  const first = useRef(null);
  const picker = useRef(null);
  const [problem, setProblem] = useState("");
  useFocusRequest(model.state.focus, "snooze", first);
  const now = new Date();

  function pick(event) {
    event.preventDefault();
    const until = pickedTime(picker.current.value, new Date());
    if (until) model.setStatus("snoozed", until);
    else setProblem("Pick a date and time in the future.");
  }

  function keyDown(event) {
    if (event.key !== "Escape") return;
    event.preventDefault();
    model.showSnooze(false);
    document.getElementById("snooze-toggle")?.focus();
  }

  return html`<div id="snooze" class="snooze" role="group" aria-labelledby="snooze-title" onKeyDown=${keyDown}>
    <span id="snooze-title" class="snooze-title">Snooze until</span>
    ${snoozeChoices(now).map(
      (choice, at) => html`<button
        type="button"
        ref=${at === 0 ? first : undefined}
        onClick=${() => model.setStatus("snoozed", choice.until)}
      >
        ${choice.name} <span class="when">${wakeTime(choice.until, now)}</span>
      </button>`,
    )}
    <form class="pick" onSubmit=${pick}>
      <label for="snooze-date">A date</label>
      <input id="snooze-date" type="datetime-local" min=${localInputValue(now)} ref=${picker} onInput=${() => setProblem("")} />
      <button type="submit">Snooze</button>
    </form>
    <p class="error" role="alert">${problem}</p>
  </div>`;
}

/** The conversation's labels, each removable, and a field to add one (the workspace's labels suggested). */
function LabelEditor({ model, conversation }) {
  const field = useRef(null);
  useFocusRequest(model.state.focus, "labels", field);
  const labels = conversation.labels || [];

  async function add(event) {
    event.preventDefault();
    const name = field.current.value.trim();
    if (name && (await model.setLabels([...labels, name]))) field.current.value = "";
  }

  function keyDown(event) {
    if (event.key !== "Escape") return;
    event.preventDefault();
    leaveField();
  }

  return html`<div class="labels-bar">
    <ul class="labels" aria-label="Labels">
      ${labels.map(
        (label) => html`<li key=${label} class="label">
          ${label}
          <button
            type="button"
            class="ghost remove"
            aria-label=${`Remove the label ${label}`}
            onClick=${() => model.setLabels(labels.filter((other) => other !== label))}
          >
            ×
          </button>
        </li>`,
      )}
    </ul>
    <form class="add-label" onSubmit=${add}>
      <input
        id="add-label"
        list="known-labels"
        aria-label="Add a label"
        aria-keyshortcuts="l"
        placeholder="Add a label"
        maxlength="50"
        autocomplete="off"
        ref=${field}
        onKeyDown=${keyDown}
      />
      <datalist id="known-labels">
        ${model.state.labels.filter((known) => !labels.includes(known.name)).map((known) => html`<option value=${known.name} />`)}
      </datalist>
    </form>
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
  const status = conversation.status || "open";
  const headline = conversation.locked ? `${holder(conversation, meId)} · Locked` : holder(conversation, meId);
  return html`<section class="thread" aria-labelledby="thread-title" data-conversation-id=${conversation.id}>
    <header class="thread-head">
      <button type="button" class="ghost back" aria-label="Back to the conversations" onClick=${model.closeConversation}>
        ←
      </button>
      <div class="who">
        <h2 id="thread-title" dir="auto">${visitor}</h2>
        <p class="muted">
          <span id="thread-status" class=${`status-badge ${status}`}>${statusName(conversation)}</span>
          <span id="thread-sub">${headline}</span>
        </p>
      </div>
      <${StatusActions} model=${model} conversation=${conversation} />
      <${Actions} model=${model} conversation=${conversation} meId=${meId} />
    </header>
    ${state.snoozing ? html`<${SnoozeChoices} model=${model} />` : null}
    <${LabelEditor} key=${thread.id} model=${model} conversation=${conversation} />
    <${Timeline}
      key=${thread.id}
      entries=${model.entries()}
      visitor=${visitor}
      meId=${meId}
      found=${thread.found}
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

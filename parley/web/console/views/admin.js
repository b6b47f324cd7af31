// The admin pages (owners and admins): a section list on the left, the section on the right. An agent who gets here
// is told the pages are not theirs (the API refuses them anyway).

import { html, useState } from "../vendor/htm-preact/standalone.module.js";
import { SECTIONS, WEEKDAYS } from "../admin.js";
import { when } from "../core/text.js";

export function AdminPages({ model }) {
  const { admin } = model;
  const section = admin.state.section;
  return html`<div class="app admin">
    <header class="top">
      <strong class="brand">Parley</strong>
      <span class="spacer"></span>
      <button type="button" class="ghost" onClick=${model.closeAdmin}>Back to the inbox</button>
    </header>
    ${model.isAdmin()
      ? html`<div class="main">
          <nav class="sections" aria-label="Settings">
            ${SECTIONS.map(
              ([key, label]) => html`<button
                type="button"
                key=${key}
                aria-current=${key === section ? "page" : null}
                onClick=${() => admin.open(key)}
              >
                ${label}
              </button>`,
            )}
          </nav>
          <section class="settings" aria-label=${SECTIONS.find(([key]) => key === section)[1]}>
            ${html`<${PAGES[section]} admin=${admin} />`}
          </section>
        </div>`
      : html`<p class="forbidden" role="alert">Only owners and admins can see this.</p>`}
    <div class="toast" role="alert" hidden=${!model.state.toast}>${model.state.toast}</div>
  </div>`;
}

function submitted(event, act) {
  event.preventDefault();
  const form = event.currentTarget;
  Promise.resolve(act(new FormData(form))).then((done) => done && form.reset());
}

function Shown({ label, value }) {
  return html`<div class="shown" role="status">
    <p>${label}</p>
    <code>${value}</code>
    <button type="button" onClick=${() => navigator.clipboard?.writeText(value)}>Copy</button>
  </div>`;
}

// --- the widget: its settings and a preview drawn as the visitor will see it, following what is typed -----------
function WidgetPage({ admin }) {
  const draft = admin.state.draft;
  if (!draft) return html`<p class="muted">Loading…</p>`;
  const field = (name, label, type = "text") => html`<label>
    ${label}
    <input
      name=${name}
      type=${type}
      value=${draft[name]}
      onInput=${(event) => admin.typeWidget(name, event.currentTarget.value)}
    />
  </label>`;
  return html`<div class="widget-page">
    <form class="stack" onSubmit=${(event) => submitted(event, () => admin.saveWidget())}>
      <h2>Widget</h2>
      ${field("title", "Title")} ${field("accentColor", "Accent colour", "color")} ${field("botName", "Bot's name")}
      <label>
        Greeting
        <textarea name="greeting" onInput=${(event) => admin.typeWidget("greeting", event.currentTarget.value)}>
${draft.greeting}</textarea
        >
      </label>
      <label>
        Away message
        <textarea name="awayMessage" onInput=${(event) => admin.typeWidget("awayMessage", event.currentTarget.value)}>
${draft.awayMessage}</textarea
        >
      </label>
      <label class="inline">
        <input
          type="checkbox"
          checked=${draft.autoAssign}
          onChange=${(event) => admin.typeWidget("autoAssign", event.currentTarget.checked)}
        />
        Give new conversations to the online agent with the fewest open ones
      </label>
      <p class="hint">Site key: <code>${draft.siteKey}</code></p>
      <button type="submit" class="primary">Save</button>
    </form>
    <figure class="preview" aria-label="Preview of the widget">
      <div class="preview-head" style=${{ background: draft.accentColor }}>${draft.title || "Chat with us"}</div>
      <div class="preview-body">
        ${draft.greeting
          ? html`<p class="preview-author">${draft.botName}</p>
              <p class="preview-bubble">${draft.greeting}</p>`
          : html`<p class="muted">No greeting: the bot stays silent.</p>`}
      </div>
      <div class="preview-launcher" style=${{ background: draft.accentColor }} aria-hidden="true"></div>
      <figcaption class="hint">What a visitor sees, before saving.</figcaption>
    </figure>
  </div>`;
}

// --- business hours: a week of ranges in one time zone, and holidays ---------------------------------------------
const ZONES = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];

function HoursPage({ admin }) {
  const hours = admin.state.hours;
  if (!hours) return html`<p class="muted">Loading…</p>`;
  const zones = ZONES.includes(hours.timezone) ? ZONES : [hours.timezone, ...ZONES];
  const time = (day, index, end, value) => html`<input
    type="time"
    required
    aria-label=${`${day[1]} ${end ? "closes" : "opens"} (range ${index + 1})`}
    value=${value === "24:00" ? "23:59" : value}
    onChange=${(event) => admin.setRange(day[0], index, end, event.currentTarget.value === "23:59" && end ? "24:00" : event.currentTarget.value)}
  />`;
  return html`<form class="stack hours-page" onSubmit=${(event) => submitted(event, () => admin.saveHours())}>
    <h2>Business hours</h2>
    <label class="inline">
      <input
        type="checkbox"
        checked=${hours.enabled}
        onChange=${(event) => admin.editHours({ enabled: event.currentTarget.checked })}
      />
      Outside these hours the team is away: the widget says when it is back, and the bot posts the away message
    </label>
    <label>
      Time zone
      <select value=${hours.timezone} onChange=${(event) => admin.editHours({ timezone: event.currentTarget.value })}>
        ${zones.map((zone) => html`<option value=${zone} key=${zone}>${zone}</option>`)}
      </select>
    </label>
    <table class="hours">
      <tbody>
        ${WEEKDAYS.map(
          (day) => html`<tr key=${day[0]}>
            <th scope="row">${day[1]}</th>
            <td>
              ${hours.weekly[day[0]].length ? null : html`<span class="muted">Closed</span>`}
              ${hours.weekly[day[0]].map(
                ([start, end], index) => html`<span class="range" key=${index}>
                  ${time(day, index, false, start)} – ${time(day, index, true, end)}
                  <button
                    type="button"
                    aria-label=${`Remove ${day[1]}'s range ${index + 1}`}
                    onClick=${() => admin.removeRange(day[0], index)}
                  >
                    ×
                  </button>
                </span>`,
              )}
            </td>
            <td><button type="button" onClick=${() => admin.addRange(day[0])}>Add hours on ${day[1]}</button></td>
          </tr>`,
        )}
      </tbody>
    </table>
    <p class="hint">Closing at 23:59 means open until midnight. A night shift: until 23:59, and from 00:00 the next day.</p>
    <fieldset>
      <legend>Holidays (closed all day)</legend>
      <ul class="holidays">
        ${hours.holidays.map(
          (day) => html`<li key=${day}>
            ${day} <button type="button" aria-label=${`Remove the holiday ${day}`} onClick=${() => admin.removeHoliday(day)}>×</button>
          </li>`,
        )}
      </ul>
      <span class="inline-form">
        <input type="date" aria-label="Holiday" name="holiday" />
        <button
          type="button"
          onClick=${(event) => {
            const input = event.currentTarget.previousElementSibling;
            admin.addHoliday(input.value);
            input.value = "";
          }}
        >
          Add the holiday
        </button>
      </span>
    </fieldset>
    <button type="submit" class="primary">Save</button>
    ${admin.state.hoursSaved ? html`<p role="status">Saved.</p>` : null}
  </form>`;
}

// --- agents -----------------------------------------------------------------------------------------------------
function AgentsPage({ admin }) {
  const { agents, invited, tokensOf } = admin.state;
  return html`<div class="stack">
    <h2>Agents</h2>
    <form
      class="inline-form"
      aria-label="Invite an agent"
      onSubmit=${(event) =>
        submitted(event, (form) =>
          admin.invite({ name: form.get("name"), email: form.get("email"), role: form.get("role") }),
        )}
    >
      <input name="name" placeholder="Name" aria-label="Name" required />
      <input name="email" type="email" placeholder="Email" aria-label="Email" required />
      <select name="role" aria-label="Role">
        <option value="agent">Agent</option>
        <option value="admin">Admin</option>
        <option value="owner">Owner</option>
      </select>
      <button type="submit" class="primary">Invite</button>
    </form>
    ${invited
      ? html`<${Shown}
          label=${`${invited.name}'s invitation link (single use, 7 days)${invited.mailed ? ", also mailed to them" : ": mail is not set up, so pass it on yourself"}:`}
          value=${invited.inviteUrl}
        />`
      : null}
    <table>
      <thead><tr><th>Name</th><th>Email</th><th>Role</th><th>Status</th><th></th></tr></thead>
      <tbody>
        ${agents.map(
          (agent) => html`<tr key=${agent.id} class=${agent.active ? "" : "inactive"}>
              <td>${agent.name}</td>
              <td>${agent.email || html`<span class="muted">none</span>`}</td>
              <td>
                <select
                  aria-label=${`${agent.name}'s role`}
                  value=${agent.role}
                  onChange=${(event) => admin.changeAgent(agent, { role: event.currentTarget.value })}
                >
                  <option value="agent">Agent</option>
                  <option value="admin">Admin</option>
                  <option value="owner">Owner</option>
                </select>
              </td>
              <td>${agent.active ? "Active" : "Deactivated"}</td>
              <td class="actions">
                <button type="button" onClick=${() => admin.showTokens(agent)} aria-expanded=${tokensOf.has(agent.id)}>
                  Sessions
                </button>
                ${agent.active && agent.email
                  ? html`<button type="button" onClick=${() => admin.reinvite(agent)}>Send a new link</button>`
                  : null}
                <button type="button" onClick=${() => admin.changeAgent(agent, { active: !agent.active })}>
                  ${agent.active ? `Deactivate ${agent.name}` : `Reactivate ${agent.name}`}
                </button>
              </td>
            </tr>
            ${tokensOf.has(agent.id)
              ? html`<tr key=${`${agent.id}-tokens`}>
                  <td colspan="5">
                    <${AgentTokens} agent=${agent} tokens=${tokensOf.get(agent.id)} admin=${admin} />
                  </td>
                </tr>`
              : null}`,
        )}
      </tbody>
    </table>
  </div>`;
}

function AgentTokens({ agent, tokens, admin }) {
  if (!tokens.length) return html`<p class="muted">${agent.name} has no session or token.</p>`;
  return html`<ul class="tokens" aria-label=${`${agent.name}'s sessions and tokens`}>
    ${tokens.map(
      (token) => html`<li key=${token.id}>
        Signed in ${when(token.createdAt)}, last used ${token.lastUsedAt ? when(token.lastUsedAt) : "never"}
        <button type="button" onClick=${() => admin.revokeAgentToken(agent, token)}>Revoke</button>
      </li>`,
    )}
  </ul>`;
}

// --- API tokens -------------------------------------------------------------------------------------------------
function TokensPage({ admin }) {
  const { apiTokens, createdToken } = admin.state;
  return html`<div class="stack">
    <h2>API tokens</h2>
    <form
      class="inline-form"
      aria-label="Create an API token"
      onSubmit=${(event) => submitted(event, (form) => admin.createApiToken(form.get("name")))}
    >
      <input name="name" placeholder="What it is for" aria-label="Token name" required />
      <button type="submit" class="primary">Create</button>
    </form>
    ${createdToken
      ? html`<${Shown} label=${`The token "${createdToken.name}": copy it now, it is not shown again.`} value=${createdToken.token} />`
      : null}
    <table>
      <thead><tr><th>Name</th><th>Starts with</th><th>Created</th><th>Last used</th><th></th></tr></thead>
      <tbody>
        ${apiTokens.map(
          (token) => html`<tr key=${token.id}>
            <td>${token.name}</td>
            <td><code>${token.prefix}…</code></td>
            <td>${when(token.createdAt)}</td>
            <td>${token.lastUsedAt ? when(token.lastUsedAt) : "never"}</td>
            <td><button type="button" onClick=${() => admin.revokeApiToken(token)}>Revoke ${token.name}</button></td>
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

// --- the webhook ------------------------------------------------------------------------------------------------
function WebhookPage({ admin }) {
  const { webhook, events, secret, deliveries } = admin.state;
  const chosen = new Set(webhook?.events || []);
  return html`<div class="stack">
    <h2>Webhook</h2>
    <form
      class="stack"
      onSubmit=${(event) => {
        event.preventDefault();
        const form = new FormData(event.currentTarget);
        admin.saveWebhook({ url: form.get("url"), events: form.getAll("events") });
      }}
    >
      <label>URL <input name="url" type="url" required value=${webhook?.url || ""} /></label>
      <fieldset>
        <legend>Events (none ticked: all of them)</legend>
        ${events.map(
          (name) => html`<label class="inline" key=${name}>
            <input type="checkbox" name="events" value=${name} checked=${chosen.has(name)} /> ${name}
          </label>`,
        )}
      </fieldset>
      <button type="submit" class="primary">Save</button>
    </form>
    ${webhook ? html`<button type="button" onClick=${admin.rotateSecret}>Rotate the signing secret</button>` : null}
    ${secret ? html`<${Shown} label="The signing secret: copy it now, it is not shown again." value=${secret} />` : null}
    ${webhook
      ? html`<h3>Deliveries</h3>
          <table>
            <thead><tr><th>Event</th><th>Status</th><th>Attempts</th><th>Last answer</th><th></th></tr></thead>
            <tbody>
              ${deliveries.map(
                (delivery) => html`<tr key=${delivery.id}>
                  <td>${delivery.event}</td>
                  <td>${delivery.status}</td>
                  <td>${delivery.attempts}</td>
                  <td>${delivery.lastStatusCode ?? delivery.lastError ?? ""}</td>
                  <td><button type="button" onClick=${() => admin.redeliver(delivery)}>Redeliver</button></td>
                </tr>`,
              )}
            </tbody>
          </table>`
      : null}
  </div>`;
}

// --- mail: whether it is on, and what was sent, failed and why ----------------------------------------------------
const MAIL_KINDS = {
  invitation: "Invitation",
  password_reset: "Password reset",
  agent_notification: "Visitor waiting (to an agent)",
  visitor_notification: "Unread answer (to a visitor)",
};
const MAIL_STATES = [
  ["", "All"],
  ["pending", "Pending"],
  ["sent", "Sent"],
  ["failed", "Failed"],
  ["cancelled", "Cancelled"],
];

function MailPage({ admin }) {
  const { mail, outbox, outboxMore, outboxStatus } = admin.state;
  if (!mail) return html`<p class="muted">Loading…</p>`;
  return html`<div class="stack">
    <h2>Mail</h2>
    ${mail.enabled
      ? html`<p>Mail is sent from <strong>${mail.from}</strong>.</p>`
      : html`<p class="warning" role="status">
          Mail is off: nothing is mailed (invitations, password resets, notifications). Set
          <code>PARLEY_SMTP_URL</code> and <code>PARLEY_MAIL_FROM</code> on the server to turn it on.
        </p>`}
    <label class="inline">
      Show
      <select value=${outboxStatus} onChange=${(event) => admin.filterOutbox(event.currentTarget.value)}>
        ${MAIL_STATES.map(([value, label]) => html`<option key=${value} value=${value}>${label}</option>`)}
      </select>
    </label>
    <table aria-label="Mail sent">
      <thead><tr><th>When</th><th>What</th><th>To</th><th>Status</th><th>Why</th><th></th></tr></thead>
      <tbody>
        ${outbox.map(
          (sent) => html`<tr key=${sent.id}>
            <td>${when(sent.createdAt)}</td>
            <td>${MAIL_KINDS[sent.kind] || sent.kind}<br /><span class="muted">${sent.subject}</span></td>
            <td>${sent.to}</td>
            <td>${sent.status}${sent.attempts > 1 ? ` (${sent.attempts} tries)` : ""}</td>
            <td>${sent.lastError || ""}</td>
            <td>
              ${sent.status === "failed"
                ? html`<button type="button" onClick=${() => admin.retryMail(sent)}>Send again</button>`
                : null}
            </td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${outbox.length ? null : html`<p class="muted">No mail yet.</p>`}
    ${outboxMore ? html`<button type="button" class="ghost" onClick=${admin.loadMoreOutbox}>Older</button>` : null}
  </div>`;
}

// --- canned responses -------------------------------------------------------------------------------------------
function CannedPage({ admin }) {
  const [editing, setEditing] = useState(null);
  const save = (existing) => (event) =>
    submitted(event, async (form) => {
      const done = await admin.saveCanned(existing, { shortcut: form.get("shortcut"), text: form.get("text") });
      if (done) setEditing(null);
      return done;
    });
  const fields = (response) => html`<input
      name="shortcut"
      aria-label="Shortcut"
      placeholder="shortcut"
      required
      pattern="[a-z0-9_\\-]{1,32}"
      value=${response?.shortcut || ""}
    />
    <textarea name="text" aria-label="Text" required>${response?.text || ""}</textarea>`;
  return html`<div class="stack">
    <h2>Canned responses</h2>
    <form class="inline-form" aria-label="Add a canned response" onSubmit=${save(null)}>
      ${fields(null)}
      <button type="submit" class="primary">Add</button>
    </form>
    <ul class="canned-list">
      ${admin.state.canned.map((response) =>
        editing === response.id
          ? html`<li key=${response.id}>
              <form class="inline-form" aria-label=${`Edit /${response.shortcut}`} onSubmit=${save(response)}>
                ${fields(response)}
                <button type="submit" class="primary">Save</button>
                <button type="button" onClick=${() => setEditing(null)}>Cancel</button>
              </form>
            </li>`
          : html`<li key=${response.id}>
              <code>/${response.shortcut}</code> <span>${response.text}</span>
              <button type="button" onClick=${() => setEditing(response.id)}>Edit</button>
              <button type="button" onClick=${() => admin.deleteCanned(response)}>Delete /${response.shortcut}</button>
            </li>`,
      )}
    </ul>
  </div>`;
}

// --- the audit log ----------------------------------------------------------------------------------------------

function AuditPage({ admin }) {
  const { audit, auditMore, auditFilter, agents, actions } = admin.state;
  return html`<div class="stack">
    <h2>Audit log</h2>
    <div class="inline-form">
      <select
        aria-label="Who"
        value=${auditFilter.actor}
        onChange=${(event) => admin.filterAudit({ actor: event.currentTarget.value })}
      >
        <option value="">Anyone</option>
        ${agents.map((agent) => html`<option value=${agent.id} key=${agent.id}>${agent.name}</option>`)}
      </select>
      <select
        aria-label="What"
        value=${auditFilter.action}
        onChange=${(event) => admin.filterAudit({ action: event.currentTarget.value })}
      >
        <option value="">Any change</option>
        ${actions.map((action) => html`<option value=${action} key=${action}>${action}</option>`)}
      </select>
    </div>
    <table class="audit">
      <thead><tr><th>When</th><th>Who</th><th>What</th><th>On</th><th>From</th></tr></thead>
      <tbody>
        ${audit.map(
          (entry) => html`<tr key=${entry.id}>
            <td>${when(entry.createdAt)}</td>
            <td>${entry.actor.name || entry.actor.type}</td>
            <td>${entry.action}</td>
            <td>${entry.target ? `${entry.target.type} ${entry.target.id.slice(0, 8)}` : ""}</td>
            <td>${entry.ip || ""}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${auditMore ? html`<button type="button" onClick=${admin.loadMoreAudit}>Load more</button>` : null}
  </div>`;
}

const PAGES = {
  widget: WidgetPage,
  hours: HoursPage,
  agents: AgentsPage,
  tokens: TokensPage,
  webhook: WebhookPage,
  canned: CannedPage,
  mail: MailPage,
  audit: AuditPage,
};

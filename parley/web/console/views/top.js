// The bar across the top: the connection, who is signed in, their availability, the chime, email and desktop
// notifications, the keyboard shortcuts and signing out.

import { html } from "../vendor/htm-preact/standalone.module.js";

export function TopBar({ model }) {
  const { me, connection } = model.state;
  const available = me.availability !== "away";
  return html`<header class="top">
    <strong class="brand">Parley</strong>
    <span id="conn" class=${`conn${connection.live ? " live" : ""}`} role="status" aria-live="polite">
      ${connection.text}
    </span>
    <span class="spacer"></span>
    <span id="me-name" class="me-name">${me.name}</span>
    <button
      id="status"
      type="button"
      role="switch"
      aria-checked=${available ? "true" : "false"}
      aria-label="Available to visitors"
      title=${available ? "Visitors see you online while this console is open" : "Visitors see you offline"}
      class=${`status-toggle${me.status === "online" ? " online" : ""}`}
      onClick=${() => model.setAvailability(available ? "away" : "online")}
    >
      ${available ? "Online" : "Away"}
    </button>
    <button
      type="button"
      role="switch"
      class="ghost"
      aria-checked=${model.alerts.soundOn() ? "true" : "false"}
      title="A chime when a visitor writes while this tab is in the background"
      onClick=${() => model.setSound(!model.alerts.soundOn())}
    >
      Sound
    </button>
    ${me.email
      ? html`<button
          id="email-notifications"
          type="button"
          role="switch"
          class="ghost"
          aria-checked=${me.emailNotifications ? "true" : "false"}
          title=${`Mail to ${me.email} when a visitor waits unanswered`}
          onClick=${() => model.setEmailNotifications(!me.emailNotifications)}
        >
          Email
        </button>`
      : null}
    ${model.alerts.canAsk()
      ? html`<button type="button" class="ghost" onClick=${model.askToNotify}>Turn on desktop notifications</button>`
      : null}
    <button
      type="button"
      class="ghost shortcuts-button"
      aria-keyshortcuts="?"
      title="Keyboard shortcuts (?)"
      onClick=${() => model.showHelp(true)}
    >
      Shortcuts
    </button>
    ${model.isAdmin()
      ? html`<button type="button" class="ghost" onClick=${() => model.openAdmin()}>Settings</button>`
      : null}
    <button type="button" class="ghost" onClick=${model.signOut}>Sign out</button>
  </header>`;
}

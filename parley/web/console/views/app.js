// The whole page: the sign-in form, a password to choose, the console (the inbox beside the open conversation), or
// the admin pages.

import { html } from "../vendor/htm-preact/standalone.module.js";
import { ShortcutsHelp } from "./help.js";
import { ConversationList } from "./list.js";
import { AdminPages } from "./admin.js";
import { ChoosePassword, SignIn, SwitchQuestion } from "./session.js";
import { Thread } from "./thread.js";
import { TopBar } from "./top.js";

export function App({ model }) {
  const { state } = model;
  if (state.screen === "signin") return html`<${SignIn} model=${model} />`;
  if (state.screen === "password") return html`<${ChoosePassword} model=${model} />`;
  if (state.screen === "admin") return html`<${AdminPages} model=${model} />`;
  if (state.screen !== "app") return null;
  return html`<div class=${`app${state.thread ? " viewing" : ""}`}>
      <${TopBar} model=${model} />
      <div class="main">
        <${ConversationList} model=${model} />
        ${state.thread
          ? html`<${Thread} model=${model} />`
          : html`<section class="placeholder" aria-hidden="true">
              <p class="muted">Pick a conversation on the left.</p>
            </section>`}
      </div>
      <div class="toast" role="alert" hidden=${!state.toast}>${state.toast}</div>
    </div>
    <${SwitchQuestion} model=${model} />
    <${ShortcutsHelp} model=${model} />`;
}

// Who is signed in: the sign-in form, and the question a `#token=` link of another agent asks first.

import { html, useEffect, useRef } from "../vendor/htm-preact/standalone.module.js";

export function SignIn({ model }) {
  const field = useRef(null);
  useEffect(() => field.current.focus(), []);

  function submit(event) {
    event.preventDefault();
    const token = field.current.value.trim();
    if (token) model.signIn(token);
  }

  return html`<main class="signin">
    <form class="card" aria-labelledby="signin-title" onSubmit=${submit}>
      <h1 id="signin-title">Parley console</h1>
      <label for="token">Agent token</label>
      <input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required ref=${field} />
      <p class="hint">
        Issued by <code>POST /api/external/v1/agents/{id}/tokens</code>, or printed by <code>parley demo</code>. It is
        kept in this tab only.
      </p>
      <p id="signin-error" class="error" role="alert">${model.state.signinError}</p>
      <button type="submit" class="primary">Sign in</button>
    </form>
  </main>`;
}

/** Asks before a link replaces the session, naming both agents and their workspaces; focus starts on "Stay", the
 * choice that changes nothing, and Escape declines too. */
export function SwitchQuestion({ model }) {
  const { offer, me } = model.state;
  const dialog = useRef(null);
  useEffect(() => {
    const element = dialog.current;
    if (offer && !element.open) {
      element.returnValue = "";
      element.showModal();
    } else if (!offer && element.open) element.close();
  }, [offer]);

  return html`<dialog
    class="question"
    aria-labelledby="switch-title"
    aria-describedby="switch-text"
    ref=${dialog}
    onClose=${(event) => model.answerOffer(event.currentTarget.returnValue)}
  >
    ${offer
      ? html`<h2 id="switch-title">Switch to another agent?</h2>
          <p id="switch-text">
            You are signed in as <strong>${me.name}</strong> in the workspace <strong>${me.workspace.name}</strong>.
            This link signs in as <strong>${offer.theirs.name}</strong> in the workspace
            <strong>${offer.theirs.workspace.name}</strong>.
          </p>
          <form method="dialog" class="choices">
            <button type="submit" value="stay" autofocus>Stay as ${me.name}</button>
            <button type="submit" value="switch" class="primary">Switch to ${offer.theirs.name}</button>
          </form>`
      : null}
  </dialog>`;
}

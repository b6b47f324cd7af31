// Who is signed in: the sign-in form (or a password reset's request), an invitation's or a reset's page, and the
// question a `#token=` link of another agent asks first.

import { html, useEffect, useRef, useState } from "../vendor/htm-preact/standalone.module.js";
import { MIN_PASSWORD_LENGTH, passwordProblem } from "../passwords.js";

export function SignIn({ model }) {
  const { state } = model;
  const [forgot, setForgot] = useState(false);
  const first = useRef(null);
  useEffect(() => first.current.focus(), [forgot]);

  function submit(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const who = { workspaceId: form.get("workspace").trim(), email: form.get("email").trim() };
    if (forgot) model.requestReset(who);
    else model.signInWithPassword({ ...who, password: form.get("password") });
  }

  return html`<main class="signin">
    <form class="card" aria-labelledby="signin-title" onSubmit=${submit}>
      <h1 id="signin-title">${forgot ? "Reset your password" : "Sign in to Parley"}</h1>
      <label for="workspace">Workspace</label>
      <input
        id="workspace"
        name="workspace"
        required
        spellcheck="false"
        autocomplete="organization"
        value=${state.workspaceId}
        ref=${state.workspaceId ? null : first}
      />
      <label for="email">Email</label>
      <input id="email" name="email" type="email" required autocomplete="username" ref=${state.workspaceId ? first : null} />
      ${forgot
        ? null
        : html`<label for="password">Password</label>
            <input id="password" name="password" type="password" required autocomplete="current-password" />`}
      <p id="signin-error" class="error" role="alert">${state.signinError}</p>
      ${forgot && state.resetRequested
        ? html`<p class="notice" role="status">If that account exists, we emailed it a link to choose a new password.</p>`
        : null}
      <button type="submit" class="primary">${forgot ? "Email me a link" : "Sign in"}</button>
      <button type="button" class="link" onClick=${() => setForgot(!forgot)}>
        ${forgot ? "Back to signing in" : "Forgot your password?"}
      </button>
      <p class="hint">An automation may open <code>/console#token=...</code> with an agent token instead.</p>
    </form>
  </main>`;
}

/** An invitation's or a reset's page: the password chosen twice (10 characters at least, as the server wants). */
export function ChoosePassword({ model }) {
  const { state } = model;
  const [problem, setProblem] = useState("");
  const field = useRef(null);
  useEffect(() => field.current.focus(), []);
  const invited = state.link.page === "invite";

  function submit(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const password = form.get("password");
    const found = passwordProblem(password, form.get("repeat"));
    setProblem(found);
    if (!found) model.choosePassword(password);
  }

  return html`<main class="signin">
    <form class="card" aria-labelledby="password-title" onSubmit=${submit}>
      <h1 id="password-title">${invited ? "Welcome to Parley: choose your password" : "Choose a new password"}</h1>
      <label for="new-password">Password</label>
      <input id="new-password" name="password" type="password" required autocomplete="new-password" ref=${field} />
      <label for="repeat-password">The same password again</label>
      <input id="repeat-password" name="repeat" type="password" required autocomplete="new-password" />
      <p class="hint">At least ${MIN_PASSWORD_LENGTH} characters.</p>
      <p id="password-error" class="error" role="alert">${problem || state.signinError}</p>
      <button type="submit" class="primary">${invited ? "Join" : "Set the password"}</button>
      <a href="/console/">Sign in instead</a>
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

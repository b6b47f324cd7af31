// The agent console: sign in with an agent token, work through the workspace's inbox live, answer and note. The state
// lives in model.js, the drawing in views/; this wires them to the page (the keyboard included) and draws at most once
// per animation frame.

import { html, render } from "./vendor/htm-preact/standalone.module.js";
import { titleFor } from "./alerts.js";
import { createConsole } from "./model.js";
import { actionFor, isTyping } from "./shortcuts.js";
import { App } from "./views/app.js";

const root = document.getElementById("root");
let frame = 0;

const model = createConsole({
  onChange() {
    if (!frame) frame = requestAnimationFrame(draw);
  },
});

function draw() {
  frame = 0;
  render(html`<${App} model=${model} />`, root);
  document.title = titleFor(model.state.screen === "app" ? model.unreadConversations() : 0);
}

window.addEventListener("hashchange", model.onHashChange);
document.addEventListener("visibilitychange", model.visibilityChanged);
document.addEventListener("keydown", (event) => {
  // a field's own keys (the reply box's Enter, `/` and Escape) were handled there; an open dialog has the keyboard
  if (event.defaultPrevented || event.isComposing || model.state.screen !== "app") return;
  if (document.querySelector("dialog[open]")) return;
  const action = actionFor(event, isTyping(event.target));
  const narrow = window.matchMedia("(max-width: 720px)").matches;
  if (action && model.perform(action, { narrow })) event.preventDefault();
});
model.boot();

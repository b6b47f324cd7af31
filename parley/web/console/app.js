// The agent console: sign in with an agent token, see the workspace's conversations live, answer them. The state
// lives in model.js, the drawing in views/; this wires them to the page and draws at most once per animation frame.

import { html, render } from "./vendor/htm-preact/standalone.module.js";
import { createConsole } from "./model.js";
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
}

window.addEventListener("hashchange", model.onHashChange);
document.addEventListener("visibilitychange", model.visibilityChanged);
document.addEventListener("keydown", (event) => {
  const narrow = window.matchMedia("(max-width: 720px)").matches;
  if (event.key === "Escape" && model.state.thread && narrow) model.closeConversation();
});
model.boot();

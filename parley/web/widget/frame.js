// The widget's elements: a shadow root on a host element beside <body>, holding the launcher and the panel.

import { h, ICON, icon } from "./dom.js";
import { CSS } from "./style.js";

/** Inline !important beats any rule of the page aimed at the host element. */
const HOST_STYLE = [
  "all:initial", "display:block", "position:fixed", "right:0", "bottom:0", "width:0", "height:0", "margin:0",
  "padding:0", "border:0", "overflow:visible", "visibility:visible", "opacity:1", "transform:none", "filter:none",
  "contain:none", "clip-path:none", "z-index:2147483000", "pointer-events:auto",
].map((rule) => `${rule}!important`).join(";");

/**
 * The elements, unattached to behaviour except through `on`: `toggle()` (the launcher), `close()`, `submit()` (the
 * composer), `upload(file)`, `typed()` (a keystroke in the message box), `scrolled()` (the history scrolled),
 * `leaveEmail(address)` and `noEmail()` (the ask for the visitor's email).
 */
export function buildFrame(on) {
  const host = document.createElement("parley-chat");
  host.setAttribute("style", HOST_STYLE);
  const root = host.attachShadow({ mode: "open" });
  root.innerHTML = `<style>${CSS}</style>`;

  const badge = h("span", { class: "badge", hidden: true, "aria-hidden": "true" });
  const launcher = h("button", { class: "launcher", type: "button", "aria-haspopup": "dialog", "aria-expanded": "false", "aria-controls": "parley-panel", onclick: on.toggle }, icon(ICON.chat), badge);
  const avatar = h("span", { class: "avatar", "aria-hidden": "true" });
  const title = h("h2", { id: "parley-title" });
  const presence = h("p", { class: "presence" });
  const closer = h("button", { class: "icon", type: "button", "aria-label": "Close chat", onclick: on.close }, icon(ICON.close));
  const banner = h("div", { class: "banner", role: "status", "aria-live": "polite", hidden: true });
  const log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": "Messages", tabindex: "0", onscroll: on.scrolled });
  const empty = h("p", { class: "empty" });
  const typing = h("p", { class: "typing", "aria-live": "polite" });
  const text = h("textarea", { rows: "1", "aria-label": "Message", placeholder: "Write a message…", maxlength: "10000" });
  const file = h("input", { type: "file", hidden: true, tabindex: "-1", "aria-hidden": "true" });
  const attach = h("button", { class: "icon", type: "button", "aria-label": "Attach a file", onclick: () => file.click() }, icon(ICON.clip));
  const send = h("button", { class: "icon send", type: "submit", "aria-label": "Send" }, icon(ICON.send));
  const lockedNote = h("p", { class: "locked", hidden: true }, "This conversation was closed. Write below to start a new one.");
  const askInput = h("input", { id: "parley-email", type: "email", autocomplete: "email", placeholder: "you@example.com", maxlength: "320" });
  const askError = h("p", { class: "error", role: "alert", hidden: true });
  const ask = h("form", { class: "ask", hidden: true, onsubmit: (e) => (e.preventDefault(), on.leaveEmail(askInput.value.trim())) },
    h("label", { for: "parley-email" }, "Leave your email, and our answer reaches you there too if you've gone:"),
    askInput, h("button", { class: "primary", type: "submit" }, "Save"),
    h("button", { class: "link", type: "button", onclick: on.noEmail }, "No thanks"), askError);
  const composer = h("form", { class: "composer", onsubmit: (e) => (e.preventDefault(), on.submit()) }, attach, file, text, send);
  const panel = h("section", { class: "panel", id: "parley-panel", role: "dialog", "aria-labelledby": "parley-title", hidden: true },
    h("header", {}, avatar, h("div", { class: "who" }, title, presence), closer),
    banner, log, typing, lockedNote, ask, composer);
  const wrap = h("div", { class: "root" }, panel, launcher);
  root.append(wrap);

  text.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      on.submit();
    }
  });
  /** The message box grows with its text, up to five lines. */
  const fit = () => {
    text.style.height = "auto";
    text.style.height = `${Math.min(text.scrollHeight, 120)}px`;
  };
  text.addEventListener("input", () => {
    fit();
    on.typed();
  });
  file.addEventListener("change", () => {
    if (file.files[0]) on.upload(file.files[0]);
    file.value = "";
  });
  panel.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.stopPropagation();
      on.close();
    }
  });
  document.documentElement.append(host); // beside <body>, not in it: the page's body styles don't reach it

  return { fit, root, wrap, launcher, badge, avatar, title, presence, banner, log, empty, typing, text, attach, send, lockedNote, ask, askInput, askError, composer, panel };
}

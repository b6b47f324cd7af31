// Rendering helpers: elements, names, previews and messages. Text always goes in as text, never as HTML.

export function h(name, attrs = {}, ...children) {
  const el = document.createElement(name);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) if (child != null && child !== false) el.append(child);
  return el;
}

export const size = (n) =>
  n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`;

export function when(seconds) {
  const date = new Date(seconds * 1000);
  const today = new Date().toDateString() === date.toDateString();
  return today
    ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : date.toLocaleDateString([], { month: "short", day: "numeric" });
}

export function visitorName(conversation) {
  const user = conversation.endUser;
  if (!user) return "Visitor";
  return user.name || user.email || `Visitor ${user.id.slice(0, 6)}`;
}

export function preview(message) {
  if (!message) return "No messages yet";
  const who = message.agent ? `${message.agent.name}: ` : message.bot ? `${message.bot.name}: ` : "";
  if (message.type === "file" && message.file) {
    return `${who}${message.file.type === "image" ? "Image" : "File"}: ${fileName(message.file.info)}`;
  }
  if (message.type === "review") return `${who}Review requested`;
  return who + (message.body || "");
}

// A File's info.name has no extension; info.ext has it.
export const fileName = (info) => (info.ext && !info.name.endsWith(`.${info.ext}`) ? `${info.name}.${info.ext}` : info.name);

export const stars = (mark) => "★".repeat(mark) + "☆".repeat(5 - mark);

function content(message) {
  const file = message.file;
  if (message.type === "review" && message.review) {
    const review = message.review;
    const rated = review.mark
      ? h("span", { class: "stars", role: "img", "aria-label": `${review.mark} out of 5` }, stars(review.mark))
      : h("span", { class: "muted" }, "waiting for the visitor's rating");
    return h(
      "div",
      { class: "review" },
      h("strong", {}, `Review of ${review.agent ? review.agent.name : "the agent"}: `),
      rated,
      review.text ? h("q", { class: "comment" }, review.text) : null,
      h("span", { class: "muted" }, review.confirmed ? " (confirmed)" : review.mark ? " (not confirmed yet)" : ""),
    );
  }
  if (message.type !== "file" || !file) return message.body || "";
  const name = fileName(file.info);
  if (!file.url) return `${message.pending ? "Uploading " : ""}${name} (${size(file.info.size)})`;
  if (file.type === "image") {
    const img = h("img", { src: file.url["520x400"], alt: name });
    if (file.meta && file.meta.width) {
      const scale = Math.min(1, 520 / file.meta.width, 400 / file.meta.height);
      img.width = Math.round(file.meta.width * scale);
      img.height = Math.round(file.meta.height * scale);
    }
    return h("a", { class: "image", href: file.url.default, target: "_blank", rel: "noopener noreferrer" }, img);
  }
  return h(
    "a",
    { class: "file", href: file.url.default, target: "_blank", rel: "noopener noreferrer", download: name },
    h("span", { class: "fname" }, name),
    h("span", { class: "fsize" }, size(file.info.size)),
  );
}

export function renderMessage(message) {
  const side = message.agent ? "agent" : message.bot ? "bot" : "visitor";
  const el = h("div", {
    class: `msg ${side}${message.pending ? " pending" : ""}${message.failed ? " failed" : ""}`,
    "data-id": message.id || null,
  });
  const author = message.agent ? message.agent.name : message.bot ? message.bot.name : "Visitor";
  el.append(h("span", { class: "author" }, author));
  el.append(h("div", { class: "bubble" }, content(message)));
  const meta = h("span", { class: "meta" }, message.createdAt ? when(message.createdAt) : "");
  if (side === "agent") {
    const state = message.failed
      ? "Not sent"
      : message.pending
        ? "Sending…"
        : message.status === "read"
          ? "Read"
          : "Delivered";
    meta.append(h("span", { class: `status ${message.status || ""}` }, ` · ${state}`));
  }
  if (message.error) el.append(h("span", { class: "error" }, message.error));
  el.append(meta);
  return el;
}

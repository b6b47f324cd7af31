// Text as people read it: links found in plain text, sizes, times and file names. Text is never turned into HTML:
// a renderer puts each segment in as a text node or as an element whose href it sets.

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"]+/gi;
const TRAILING_PUNCTUATION = /[.,;:!?'"]+$/;

/** A URL's trailing `)` belongs to it only when it opened one, as in `https://en.wikipedia.org/wiki/Go_(game)`. */
function trimUrl(candidate) {
  let url = candidate.replace(TRAILING_PUNCTUATION, "");
  while (url.endsWith(")") && (url.match(/\(/g) || []).length < (url.match(/\)/g) || []).length) {
    url = url.slice(0, -1).replace(TRAILING_PUNCTUATION, "");
  }
  return url;
}

/** `text` cut into `{text}` and `{href, text}` segments: only http(s) URLs become links, the rest stays literal. */
export function linkify(text) {
  const segments = [];
  let from = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = trimUrl(match[0]);
    if (url.length <= url.indexOf("//") + 2) continue; // a bare "https://" links nowhere
    if (match.index > from) segments.push({ text: text.slice(from, match.index) });
    segments.push({ href: url, text: url });
    from = match.index + url.length;
  }
  if (from < text.length || !segments.length) segments.push({ text: text.slice(from) });
  return segments;
}

/** A version 4 UUID; crypto.randomUUID needs a secure context, getRandomValues does not (widgets run on http pages). */
export function uuid() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 15) | 64;
  bytes[8] = (bytes[8] & 63) | 128;
  const hex = [...bytes].map((v) => v.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A byte count as people read it: 512 B, 2.6 KB, 1.2 MB. */
export const size = (bytes) =>
  bytes < 1024 ? `${bytes} B` : bytes < 1048576 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1048576).toFixed(1)} MB`;

/** The time of day of unix `seconds`, in the reader's locale. */
export const timeOfDay = (seconds) =>
  new Date(seconds * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/** The time of day for today's `seconds`, the date for older ones: what a list of conversations shows. */
export function when(seconds, now = Date.now()) {
  const date = new Date(seconds * 1000);
  if (new Date(now).toDateString() === date.toDateString()) return timeOfDay(seconds);
  return date.toLocaleDateString([], { month: "short", day: "numeric" });
}

/** A File's name with its extension: `info.name` has none, `info.ext` has it. */
export const fileName = (info) => (info.ext && !info.name.endsWith(`.${info.ext}`) ? `${info.name}.${info.ext}` : info.name);

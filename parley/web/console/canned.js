// Canned responses offered as the agent types `/` in the reply box: what was typed since the slash, the responses that
// match it by shortcut or by text, and the reply with the chosen one put in place of `/what was typed`, to be edited.

export const OFFERED = 8; // at most this many responses are offered at once
const LONGEST_QUERY = 60;

/**
 * The `/query` the caret stands at the end of: `{start, query}` (`start` is the slash's index), or null. The slash
 * opens a query at the start of the text or after a space or line break (so "and/or" and web addresses offer nothing);
 * the query runs to the caret and may hold spaces (matching by text), never a line break.
 */
export function slashQuery(text, caret) {
  const start = caret > 0 ? text.lastIndexOf("/", caret - 1) : -1;
  if (start < 0 || (start > 0 && !/\s/.test(text[start - 1]))) return null;
  const query = text.slice(start + 1, caret);
  if (query.includes("\n") || query.includes("/") || query.length > LONGEST_QUERY) return null;
  return { start, query };
}

const words = (query) => query.toLowerCase().split(/\s+/).filter(Boolean);

/** How well `response` answers `query`'s words: 0 its shortcut starts with them, 1 its shortcut contains them, 2 its
 * text (or shortcut) holds every word; -1 not at all. */
function rank(response, terms) {
  const shortcut = response.shortcut.toLowerCase();
  const joined = terms.join(" ");
  if (shortcut.startsWith(joined)) return 0;
  if (shortcut.includes(joined)) return 1;
  const text = `${shortcut} ${response.text.toLowerCase()}`;
  return terms.every((term) => text.includes(term)) ? 2 : -1;
}

/** The responses `query` matches, best first (then by shortcut), at most OFFERED; all of them for an empty query. */
export function matchCanned(responses, query) {
  const terms = words(query);
  return responses
    .map((response) => ({ response, score: terms.length ? rank(response, terms) : 0 }))
    .filter((ranked) => ranked.score >= 0)
    .sort((a, b) => a.score - b.score || a.response.shortcut.localeCompare(b.response.shortcut))
    .slice(0, OFFERED)
    .map((ranked) => ranked.response);
}

/** The reply with `response`'s text in place of the `/query` that ends at `caret`, and where the caret goes next. */
export function insertCanned(text, caret, slash, response) {
  const before = text.slice(0, slash.start) + response.text;
  return { text: before + text.slice(caret), caret: before.length };
}

// The search box's state: what the agent typed and what `GET /search` found for it. Typing waits for a pause before
// asking, and an answer to an earlier query never replaces the answer to a later one.

import { debounce } from "./core/timers.js";

export const RESULTS = 20;
export const LONGEST_QUERY = 200; // the API's limit on `q`
const PAUSE_MS = 250;

/** `call(path)` answers the API's data, or null when it failed (and the agent was told). */
export function createSearch({ call, onChange }) {
  const state = { query: "", results: null, busy: false }; // results: null while no search is made
  let asked = 0; // the number of the latest query asked

  /** Asks for what the box holds now (a clear since the pause was scheduled leaves nothing to ask). */
  async function ask() {
    const number = ++asked;
    const words = state.query.trim();
    if (!words) {
      Object.assign(state, { results: null, busy: false });
      onChange();
      return;
    }
    state.busy = true;
    onChange();
    const found = await call(`/search?${new URLSearchParams({ q: words, limit: String(RESULTS) })}`);
    if (number !== asked) return;
    Object.assign(state, { results: found || [], busy: false });
    onChange();
  }

  const askSoon = debounce(ask, PAUSE_MS);

  return {
    state,
    searchFor(query) {
      state.query = query.slice(0, LONGEST_QUERY);
      onChange();
      askSoon();
    },
    clear() {
      asked += 1; // whatever is on its way is no longer wanted
      Object.assign(state, { query: "", results: null, busy: false });
      onChange();
    },
  };
}

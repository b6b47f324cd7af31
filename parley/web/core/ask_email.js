// Asking a visitor for their email, so an answer reaches them after they leave: once they wrote, at once while the
// team is away, else when their message has waited `askEmailAfterSeconds` without an agent's answer. Never again
// once they gave one, or said no.

export const DEFAULT_ASK_AFTER_SECONDS = 60;

/**
 * When (ms) to ask, or null for never: `me` (the visitor; asked only without an email), `settings` (`away`,
 * `askEmailAfterSeconds`), the visitor's and the agents' newest messages' times (ms), and whether they said no.
 */
export function askEmailAt({ me, settings, away, lastVisitorAt, lastAgentAt, dismissed }) {
  if (!me || me.email || dismissed || !lastVisitorAt) return null;
  if (away) return lastVisitorAt;
  if (lastAgentAt && lastAgentAt >= lastVisitorAt) return null; // answered
  const seconds = settings && Number.isInteger(settings.askEmailAfterSeconds) ? settings.askEmailAfterSeconds : DEFAULT_ASK_AFTER_SECONDS;
  return lastVisitorAt + seconds * 1000;
}

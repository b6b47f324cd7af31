// "We're away": what the widget says while the team is away, and when it is back, in the visitor's own language
// and time zone (the browser's, unless given).

const NO_TIME = "We're away right now; leave a message and we'll answer soon";
const DAY_MS = 86_400_000;
export const RECHECK_MS = 15 * 60_000; // while away, the line is drawn again this often ("tomorrow" turns "today")

/** When to look again (ms): at `backAt` (the settings are asked for afresh then), or sooner to redraw the line. */
export function nextLook(settings, now = Date.now()) {
  if (!settings || !settings.away || typeof settings.backAt !== "number") return null;
  return Math.min(settings.backAt * 1000, now + RECHECK_MS);
}

/** The day of `date` in `timeZone` as a count of days, to compare calendar days there. */
function dayNumber(date, timeZone) {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric", month: "numeric", day: "numeric" }).formatToParts(date);
  const part = (type) => Number(parts.find((p) => p.type === type).value);
  return Math.round(Date.UTC(part("year"), part("month") - 1, part("day")) / DAY_MS);
}

/**
 * The line for `settings` (`away`, `backAt` in unix seconds) at `now` (ms), or null when the team is not away:
 * "We're away. We'll be back at 9:00 AM", "... tomorrow at 9:00 AM", "... on Monday at 9:00 AM" within a week,
 * "... on Monday, January 5 at 9:00 AM" beyond; without `backAt`, a promise with no time.
 */
export function awayLine(settings, now = Date.now(), { locale = undefined, timeZone = undefined } = {}) {
  if (!settings || !settings.away) return null;
  if (typeof settings.backAt !== "number") return NO_TIME;
  const back = new Date(settings.backAt * 1000);
  const time = new Intl.DateTimeFormat(locale, { timeZone, hour: "numeric", minute: "2-digit" }).format(back);
  const days = dayNumber(back, timeZone) - dayNumber(new Date(now), timeZone);
  let when = `at ${time}`;
  if (days === 1) when = `tomorrow at ${time}`;
  else if (days > 1 && days < 7) {
    when = `on ${new Intl.DateTimeFormat(locale, { timeZone, weekday: "long" }).format(back)} at ${time}`;
  } else if (days >= 7) {
    const date = new Intl.DateTimeFormat(locale, { timeZone, weekday: "long", month: "long", day: "numeric" }).format(back);
    when = `on ${date} at ${time}`;
  }
  return `We're away. We'll be back ${when}`;
}

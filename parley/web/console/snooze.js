// When a snooze ends: the quick choices (in an hour, tomorrow morning, next week) and a date the agent picks, all in
// the agent's own time zone (the browser's), as the unix seconds `POST /conversations/{id}/status` takes.

export const MORNING_HOUR = 9; // "tomorrow morning" and "next week" start at 09:00 local time

/** `date` moved to `days` later at MORNING_HOUR, local time: a calendar step, so a daylight saving change in between
 * still lands on 09:00 (adding 24 hours would not). */
function morningAfter(date, days) {
  const morning = new Date(date);
  morning.setDate(morning.getDate() + days);
  morning.setHours(MORNING_HOUR, 0, 0, 0);
  return morning;
}

const seconds = (date) => Math.floor(date.getTime() / 1000);

/**
 * The quick choices at `now` (a Date): `{id, name, until}`, `until` in unix seconds. "Next week" is the coming Monday
 * (a week from today on a Monday), "Tomorrow morning" the next calendar day, both at 09:00.
 */
export function snoozeChoices(now) {
  const untilMonday = ((8 - now.getDay()) % 7) || 7; // getDay(): Sunday 0 ... Saturday 6
  return [
    { id: "hour", name: "1 hour", until: seconds(now) + 3600 },
    { id: "tomorrow", name: "Tomorrow morning", until: seconds(morningAfter(now, 1)) },
    { id: "week", name: "Next week", until: seconds(morningAfter(now, untilMonday)) },
  ];
}

const pad = (n) => String(n).padStart(2, "0");

/** `date` as an `<input type="datetime-local">` value, local time to the minute ("2026-12-01T09:00"). */
export const localInputValue = (date) =>
  `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;

/** A picked `datetime-local` value as unix seconds, read in local time; null when empty, malformed or not after
 * `now` (the server refuses a snooze that is not in the future). */
export function pickedTime(value, now) {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value || "");
  if (!match) return null;
  const [year, month, day, hour, minute, second = "0"] = match.slice(1);
  const date = new Date(+year, +month - 1, +day, +hour, +minute, +second);
  if (date.getMonth() !== +month - 1 || date.getDate() !== +day) return null; // February 30th and the like
  return date > now ? seconds(date) : null;
}

/** When a snooze ends, as an agent reads it: the time alone today, the weekday within a week, else the date. */
export function wakeTime(until, now, locale = undefined) {
  const date = new Date(until * 1000);
  const time = { hour: "2-digit", minute: "2-digit" };
  if (date.toDateString() === now.toDateString()) return date.toLocaleTimeString(locale, time);
  const withinWeek = date - now < 6.5 * 86400 * 1000 && date > now;
  const day = withinWeek ? { weekday: "short" } : { month: "short", day: "numeric" };
  return date.toLocaleString(locale, { ...day, ...time });
}

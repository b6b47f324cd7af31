import assert from "node:assert/strict";
import { test } from "node:test";

// The agent's time zone: one with daylight saving, set before any date is made (Node reads TZ when it changes).
process.env.TZ = "Europe/Berlin";
const { localInputValue, pickedTime, snoozeChoices, wakeTime } = await import("../../../parley/web/console/snooze.js");

const local = (text) => new Date(text); // "2026-11-26T15:20" without a zone is local time
const iso = (seconds) => localInputValue(new Date(seconds * 1000));
const choices = (now) => Object.fromEntries(snoozeChoices(now).map((c) => [c.id, iso(c.until)]));

test("the quick choices: in an hour, tomorrow at nine, the coming Monday at nine, in the agent's time", () => {
  // Thursday 26 November 2026, 15:20 in Berlin
  assert.deepEqual(choices(local("2026-11-26T15:20")), {
    hour: "2026-11-26T16:20",
    tomorrow: "2026-11-27T09:00",
    week: "2026-11-30T09:00",
  });
  assert.equal(snoozeChoices(local("2026-11-26T15:20"))[0].until - local("2026-11-26T15:20") / 1000, 3600);
});

test("next week from a Sunday is the next day; from a Monday a week later", () => {
  assert.equal(choices(local("2026-11-29T10:00")).week, "2026-11-30T09:00");
  assert.equal(choices(local("2026-11-30T10:00")).week, "2026-12-07T09:00");
  assert.equal(choices(local("2026-12-31T23:30")).tomorrow, "2027-01-01T09:00");
});

test("tomorrow morning is nine o'clock local time across a daylight saving change", () => {
  // Berlin moves its clocks forward in the night to Sunday 29 March 2026: 09:00 is then 07:00 UTC, not 08:00
  const saturday = local("2026-03-28T20:00");
  const tomorrow = snoozeChoices(saturday)[1].until;
  assert.equal(iso(tomorrow), "2026-03-29T09:00");
  assert.equal(new Date(tomorrow * 1000).toISOString(), "2026-03-29T07:00:00.000Z");
  assert.equal(tomorrow - saturday / 1000, 12 * 3600, "an hour of that night does not exist");
});

test("a picked date is read in local time, and refused unless in the future and real", () => {
  const now = local("2026-11-26T15:20");
  assert.equal(pickedTime("2026-12-01T09:00", now), local("2026-12-01T09:00") / 1000);
  assert.equal(new Date(pickedTime("2027-07-01T09:00", now) * 1000).getUTCHours(), 7, "summer time: UTC+2");
  assert.equal(pickedTime("2026-11-26T15:20", now), null, "now is not in the future");
  assert.equal(pickedTime("2026-11-26T15:00", now), null);
  assert.equal(pickedTime("2027-02-30T09:00", now), null);
  assert.equal(pickedTime("", now), null);
  assert.equal(pickedTime("tomorrow", now), null);
  assert.equal(localInputValue(now), "2026-11-26T15:20");
});

test("a snooze's end is said as the time today, the weekday this week, the date later", () => {
  const now = local("2026-11-26T15:20");
  const at = (text) => local(text) / 1000;
  assert.equal(wakeTime(at("2026-11-26T16:20"), now, "en-GB"), "16:20");
  assert.equal(wakeTime(at("2026-11-30T09:00"), now, "en-GB"), "Mon 09:00");
  assert.equal(wakeTime(at("2026-12-24T09:00"), now, "en-GB"), "24 Dec, 09:00");
});

import assert from "node:assert/strict";
import { test } from "node:test";

import { awayLine, nextLook, RECHECK_MS } from "../../../parley/web/core/away.js";

const at = (iso) => Date.parse(iso);
const seconds = (iso) => at(iso) / 1000;
const berlin = { locale: "en-US", timeZone: "Europe/Berlin" };

test("no line while the team is not away, and a promise with no time without backAt", () => {
  assert.equal(awayLine({ away: false, backAt: null }), null);
  assert.equal(awayLine({ away: true, backAt: null }), "We're away right now; leave a message and we'll answer soon");
});

test("back today, tomorrow, on a weekday, or on a date: in the visitor's zone and language", () => {
  const monday9 = seconds("2026-01-19T08:00:00Z"); // 09:00 in Berlin
  assert.equal(awayLine({ away: true, backAt: monday9 }, at("2026-01-19T06:00:00Z"), berlin), "We're away. We'll be back at 9:00 AM");
  assert.equal(awayLine({ away: true, backAt: monday9 }, at("2026-01-18T20:00:00Z"), berlin), "We're away. We'll be back tomorrow at 9:00 AM");
  assert.equal(awayLine({ away: true, backAt: monday9 }, at("2026-01-16T17:00:00Z"), berlin), "We're away. We'll be back on Monday at 9:00 AM");
  assert.equal(
    awayLine({ away: true, backAt: monday9 }, at("2026-01-09T17:00:00Z"), berlin),
    "We're away. We'll be back on Monday, January 19 at 9:00 AM",
  );
  // 23:00 UTC on Sunday is already Monday in Berlin: "tomorrow" is the visitor's, not UTC's.
  assert.equal(awayLine({ away: true, backAt: monday9 }, at("2026-01-18T23:30:00Z"), berlin), "We're away. We'll be back at 9:00 AM");
  const newYork = { locale: "en-US", timeZone: "America/New_York" };
  assert.equal(awayLine({ away: true, backAt: monday9 }, at("2026-01-18T20:00:00Z"), newYork), "We're away. We'll be back tomorrow at 3:00 AM");
  const german = awayLine({ away: true, backAt: monday9 }, at("2026-01-19T06:00:00Z"), { locale: "de-DE", timeZone: "Europe/Berlin" });
  assert.match(german, /^We're away\. We'll be back at 0?9:00$/, "a 24-hour clock where the visitor reads one");
});

test("the widget looks again at backAt, and redraws every quarter hour until then", () => {
  const now = at("2026-01-19T06:00:00Z");
  assert.equal(nextLook({ away: true, backAt: null }, now), null);
  assert.equal(nextLook({ away: false, backAt: null }, now), null);
  assert.equal(nextLook({ away: true, backAt: seconds("2026-01-19T06:05:00Z") }, now), at("2026-01-19T06:05:00Z"));
  assert.equal(nextLook({ away: true, backAt: seconds("2026-01-19T08:00:00Z") }, now), now + RECHECK_MS);
});

// The small clocks of a chat: telling the other side we type, showing that they do, and waiting for a burst of
// changes to settle before acting once (marking messages read).

export const TYPING_REPEAT_MS = 3000; // "still typing" is said again at most this often
export const TYPING_IDLE_MS = 4000; // no keystroke for this long: we stopped typing
export const THEIR_TYPING_MS = 6000; // their "typing" fades if no word of it comes again (a lost "stopped")

/**
 * `post(typing)` tells the server. `input()` is called on every keystroke: it posts `true` when not said lately,
 * and `false` once keystrokes stop; `stop()` (a message was sent) posts `false` at once if `true` was said.
 */
export function createTypingSignal({ post, timers = globalThis, now = Date.now }) {
  let saidAt = 0;
  let idle = null;

  function stop() {
    if (idle !== null) timers.clearTimeout(idle);
    idle = null;
    if (!saidAt) return;
    saidAt = 0;
    post(false);
  }

  function input() {
    if (idle !== null) timers.clearTimeout(idle);
    if (now() - saidAt > TYPING_REPEAT_MS) {
      saidAt = now();
      post(true);
    }
    idle = timers.setTimeout(stop, TYPING_IDLE_MS);
  }

  return { input, stop };
}

/** `show(on)` for the other side's typing: `onChange(on)` hears it, and `false` by itself after a silence. */
export function createTypingIndicator({ onChange, timers = globalThis }) {
  let fade = null;
  return {
    show(on) {
      if (fade !== null) timers.clearTimeout(fade);
      fade = on ? timers.setTimeout(() => this.show(false), THEIR_TYPING_MS) : null;
      onChange(on);
    },
  };
}

/** `fn` once, `ms` after the last of a burst of calls. */
export function debounce(fn, ms, timers = globalThis) {
  let pending = null;
  return (...args) => {
    if (pending !== null) timers.clearTimeout(pending);
    pending = timers.setTimeout(() => {
      pending = null;
      fn(...args);
    }, ms);
  };
}

export const MAX_TIMEOUT_MS = 2 ** 31 - 1; // setTimeout's longest wait (about 24.8 days): a later time waits in steps

/** `fn` once, at `when` (ms since the epoch): `at(when)` replaces the time planned before, `at(null)` cancels. */
export function createAlarm(fn, { timers = globalThis, now = Date.now } = {}) {
  let pending = null;
  function at(when) {
    if (pending !== null) timers.clearTimeout(pending);
    pending = null;
    if (when === null || when === undefined) return;
    pending = timers.setTimeout(() => {
      pending = null;
      if (now() < when) at(when);
      else fn();
    }, Math.max(0, Math.min(when - now(), MAX_TIMEOUT_MS)));
  }
  return { at };
}

// Stand-ins the core's tests drive by hand: a clock whose time moves only when told, a WebSocket that opens, speaks
// and closes on command, a window that fires `online`, and an in-memory Storage.

export class FakeClock {
  constructor() {
    this.now = 0;
    this.pending = new Map();
    this.nextId = 1;
  }

  setTimeout(fn, ms) {
    const id = this.nextId++;
    this.pending.set(id, { at: this.now + ms, fn });
    return id;
  }

  clearTimeout(id) {
    this.pending.delete(id);
  }

  /** Moves time forward by `ms`, running each timer that falls due, in order. */
  tick(ms) {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.pending].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = end;
  }

  /** When the next timer falls due, relative to now (undefined when none waits). */
  nextDelay() {
    const times = [...this.pending.values()].map((t) => t.at - this.now);
    return times.length ? Math.min(...times) : undefined;
  }
}

export function fakeWebSockets() {
  const opened = [];
  class FakeWebSocket {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.closedByClient = false;
      opened.push(this);
    }

    accept() {
      this.readyState = 1;
      this.onopen?.({});
    }

    receive(frame) {
      this.onmessage?.({ data: typeof frame === "string" ? frame : JSON.stringify(frame) });
    }

    drop(code = 1006, reason = "") {
      this.readyState = 3;
      this.onclose?.({ code, reason });
    }

    close() {
      this.closedByClient = true;
      this.drop(1000);
    }
  }
  return { FakeWebSocket, opened };
}

export class FakeWindow {
  constructor() {
    this.listeners = new Map();
  }

  addEventListener(name, fn) {
    this.listeners.set(name, [...(this.listeners.get(name) || []), fn]);
  }

  removeEventListener(name, fn) {
    this.listeners.set(name, (this.listeners.get(name) || []).filter((f) => f !== fn));
  }

  fire(name) {
    for (const fn of this.listeners.get(name) || []) fn({ type: name });
  }
}

export class MemoryStorage {
  constructor(items = {}) {
    this.items = new Map(Object.entries(items));
  }

  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }

  setItem(key, value) {
    this.items.set(key, String(value));
  }

  removeItem(key) {
    this.items.delete(key);
  }
}

// Never missing a visitor while the console's tab is in the background: the unread count in the tab's title, a
// chime, and a desktop notification for a new conversation or a visitor's message while the tab is hidden (what
// Chatwoot, Intercom and Crisp do). The rules are here, pure; `createAlerts` does what they say to the page.

export const BASE_TITLE = "Parley console";
const BODY_LENGTH = 140;
const FRESH_SECONDS = 120; // an older event is one replayed after a reconnection: not news
const SOUND_KEY = "parley:console:sound"; // "off" when the agent muted the chime, in this browser

/** "(3) Parley console": how many conversations hold visitor messages the agent has not read. */
export function titleFor(unreadConversations) {
  return unreadConversations > 0 ? `(${unreadConversations}) ${BASE_TITLE}` : BASE_TITLE;
}

/**
 * What to tell the agent of an event, or null: a new conversation, or a message of the visitor's (never the agent's
 * own, a colleague's, a note or the bot's), and only while the tab is hidden. `who(conversation)` names the visitor
 * of a conversation (the message's, from its row, when the console holds one), `text(message)` says a message.
 * An event from before `FRESH_SECONDS` ago is a replay after a reconnection, and not told.
 */
export function alertFor(event, { hidden, conversation = null, who, text, now = Date.now() }) {
  if (!hidden || (event.createdAt && now / 1000 - event.createdAt > FRESH_SECONDS)) return null;
  const data = event.data || {};
  if (event.event === "conversation.created") {
    return { tag: data.id, conversationId: data.id, title: "New conversation", body: who(data) };
  }
  if (event.event === "message.created" && data.endUser && data.type !== "note") {
    const said = text(data);
    const title = conversation ? who(conversation) : data.endUser.name || "A visitor";
    const body = said.length > BODY_LENGTH ? `${said.slice(0, BODY_LENGTH - 1)}…` : said;
    return { tag: event.conversationId, conversationId: event.conversationId, title, body };
  }
  return null;
}

/** What the page can do: the title, a chime, notifications; each missing piece (no Web Audio, no Notification
 * API, a denied permission) is skipped, never an error. */
export function createAlerts({ storage, onOpen, win = globalThis }) {
  let audio = null;

  const soundOn = () => storage.getItem(SOUND_KEY) !== "off";
  const canNotify = () => "Notification" in win;
  const permission = () => (canNotify() ? win.Notification.permission : "denied");

  function chime() {
    const Context = win.AudioContext || win.webkitAudioContext;
    if (!soundOn() || !Context) return;
    audio = audio || new Context();
    const now = audio.currentTime;
    for (const [offset, pitch] of [[0, 880], [0.12, 1320]]) {
      const tone = audio.createOscillator();
      const level = audio.createGain();
      tone.frequency.value = pitch;
      level.gain.setValueAtTime(0.0001, now + offset);
      level.gain.exponentialRampToValueAtTime(0.15, now + offset + 0.02);
      level.gain.exponentialRampToValueAtTime(0.0001, now + offset + 0.3);
      tone.connect(level).connect(audio.destination);
      tone.start(now + offset);
      tone.stop(now + offset + 0.32);
    }
  }

  function notify(alert) {
    if (permission() !== "granted") return;
    const shown = new win.Notification(alert.title, { body: alert.body, tag: alert.tag });
    shown.onclick = () => {
      win.focus();
      onOpen(alert.conversationId);
      shown.close();
    };
  }

  return {
    title: (unreadConversations) => (win.document.title = titleFor(unreadConversations)),
    tell(alert) {
      chime();
      notify(alert);
    },
    soundOn,
    setSound(on) {
      storage.setItem(SOUND_KEY, on ? "on" : "off");
    },
    /** Whether to offer desktop notifications: the browser has them and the agent has not answered yet. */
    canAsk: () => permission() === "default",
    async ask() {
      if (canNotify()) await win.Notification.requestPermission();
    },
  };
}

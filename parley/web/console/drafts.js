// Unsent replies and notes, one of each per agent and conversation, kept in localStorage: a draft stays with the
// conversation it was written for (switching conversations never carries it along) and survives a reload or a closed
// tab. A note's draft is kept apart from the reply's, so text written as a note can only ever be sent as a note.

const PREFIXES = { reply: "parley.console.draft", note: "parley.console.note" };

export function createDrafts(agentId, storage = globalThis.localStorage) {
  const keyOf = (conversationId, kind) => `${PREFIXES[kind]}:${agentId}:${conversationId}`;
  return {
    /** `kind` is "reply" or "note". */
    load(conversationId, kind = "reply") {
      try {
        return storage.getItem(keyOf(conversationId, kind)) || "";
      } catch {
        return ""; // storage refused (private mode): drafts then last as long as the page
      }
    },
    save(conversationId, text, kind = "reply") {
      try {
        if (text.trim()) storage.setItem(keyOf(conversationId, kind), text);
        else storage.removeItem(keyOf(conversationId, kind));
      } catch {
        // full or refused: the text is still in the box
      }
    },
  };
}

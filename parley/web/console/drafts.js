// Unsent replies, one per agent and conversation, kept in localStorage: a draft stays with the conversation it was
// written for (switching conversations never carries it along) and survives a reload or a closed tab.

const PREFIX = "parley.console.draft";

export function createDrafts(agentId, storage = globalThis.localStorage) {
  const keyOf = (conversationId) => `${PREFIX}:${agentId}:${conversationId}`;
  return {
    load(conversationId) {
      try {
        return storage.getItem(keyOf(conversationId)) || "";
      } catch {
        return ""; // storage refused (private mode): drafts then last as long as the page
      }
    },
    save(conversationId, text) {
      try {
        if (text.trim()) storage.setItem(keyOf(conversationId), text);
        else storage.removeItem(keyOf(conversationId));
      } catch {
        // full or refused: the text is still in the reply box
      }
    },
  };
}

// Calls to one of Parley's JSON APIs: the answer's `data`, or an ApiError carrying the envelope's code and message.

/** A refused or failed call: `status` is the HTTP status, 0 when the server could not be reached at all. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/** What a person is told when the server says nothing useful (a proxy's page, an empty body). */
function fallbackMessage(status) {
  if (status === 429) return "You're sending too fast. Try again in a moment.";
  return `Something went wrong (${status}).`;
}

/**
 * `base` is the API's URL prefix (`/api/agent/v1`, or an absolute URL for the widget on another site's page).
 * `token` is a function, asked on every call, because the widget's token changes when a visitor is identified.
 * FormData bodies (uploads) pass through untouched; anything else is sent as JSON.
 */
export function createApi({ base, token, fetch = globalThis.fetch.bind(globalThis) }) {
  async function call(method, path, body) {
    const headers = {};
    const current = token();
    if (current) headers.Authorization = `Bearer ${current}`;
    if (body !== undefined && !(body instanceof FormData)) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(base + path, { method, headers, body });
    } catch {
      throw new ApiError(0, "network", "Can't reach the chat server.");
    }
    const json = await response.json().catch(() => null);
    if (!response.ok) {
      const error = (json && json.error) || {};
      throw new ApiError(response.status, error.code || "error", error.message || fallbackMessage(response.status));
    }
    return json.data;
  }
  return { call };
}

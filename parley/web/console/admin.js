// The admin pages' state, for owners and admins: the widget's settings, the business hours, the agents (invitations, roles, their
// sessions and tokens), the API tokens, the webhook and its deliveries, the canned responses, the mail sent and the
// audit log. Every
// change goes through the console's API, which refuses an agent (403) whatever these pages show; the audit log
// records each one.

export const SECTIONS = [
  ["widget", "Widget"],
  ["hours", "Business hours"],
  ["agents", "Agents"],
  ["tokens", "API tokens"],
  ["webhook", "Webhook"],
  ["canned", "Canned responses"],
  ["mail", "Mail"],
  ["audit", "Audit log"],
];
export const ADMIN_ROLES = new Set(["owner", "admin"]);
const AUDIT_PAGE = 50;
const MAIL_PAGE = 50;
export const WEEKDAYS = [
  ["mon", "Monday"],
  ["tue", "Tuesday"],
  ["wed", "Wednesday"],
  ["thu", "Thursday"],
  ["fri", "Friday"],
  ["sat", "Saturday"],
  ["sun", "Sunday"],
];

/** `call(method, path, body)` answers the data, or null once the console has shown the error. */
export function createAdmin({ call, onChange }) {
  const state = {
    section: "widget",
    widget: null, // the stored settings
    draft: null, // the settings form as typed: the preview follows it
    hours: null, // the business hours as typed, from the stored ones: {enabled, timezone, weekly, holidays}
    hoursSaved: false, // saved, and not changed since
    agents: [],
    tokensOf: new Map(), // agent id -> their live sessions and console tokens
    invited: null, // {name, inviteUrl, expiresAt}: the last invitation, to copy
    apiTokens: [],
    createdToken: null, // {name, token}: shown once
    webhook: null,
    events: [],
    secret: null, // a new webhook secret: shown once
    deliveries: [],
    mail: null, // {enabled, from}: whether the server sends mail
    outbox: [],
    outboxMore: false,
    outboxStatus: "", // the outbox's filter: "" for every mail
    canned: [],
    audit: [],
    auditMore: false,
    actions: [], // what the log may be filtered by, as the server names them
    auditFilter: { actor: "", action: "" },
  };

  const loaders = {
    widget: async () => {
      state.widget = await call("GET", "/widget-settings");
      state.draft = state.widget && { ...state.widget };
    },
    hours: async () => {
      state.hours = await call("GET", "/business-hours");
    },
    agents: async () => {
      state.agents = (await call("GET", "/agents?limit=100")) || [];
    },
    tokens: async () => {
      state.apiTokens = (await call("GET", "/api-tokens")) || [];
    },
    webhook: async () => {
      state.events = (await call("GET", "/webhook/events")) || [];
      state.webhook = await call("GET", "/webhook", undefined, { quiet404: true });
      state.deliveries = state.webhook ? (await call("GET", "/webhook/deliveries?limit=20")) || [] : [];
    },
    canned: async () => {
      state.canned = (await call("GET", "/canned-responses?limit=100")) || [];
    },
    mail: async () => {
      const [status] = await Promise.all([call("GET", "/mail"), loadOutbox(null)]);
      state.mail = status;
    },
    audit: async () => {
      const [actions] = await Promise.all([call("GET", "/audit-log/actions"), loaders.agents(), loadAudit(null)]);
      state.actions = actions || [];
    },
  };

  async function open(section) {
    state.section = section;
    state.createdToken = null;
    state.secret = null;
    onChange();
    await loaders[section]();
    onChange();
  }

  // --- the widget ---------------------------------------------------------------------------------------------
  function typeWidget(field, value) {
    state.draft = { ...state.draft, [field]: value };
    onChange();
  }

  async function saveWidget() {
    const { title, accentColor, greeting, awayMessage, botName, autoAssign } = state.draft;
    const saved = await call("PUT", "/widget-settings", { title, accentColor, greeting, awayMessage, botName, autoAssign });
    if (saved) {
      state.widget = saved;
      state.draft = { ...saved };
      onChange();
    }
    return !!saved;
  }

  // --- business hours: edited in place, saved whole (the server says what is wrong: its 422 is the toast) ----
  function editHours(change) {
    state.hours = { ...state.hours, ...change };
    state.hoursSaved = false;
    onChange();
  }

  function editDay(day, ranges) {
    editHours({ weekly: { ...state.hours.weekly, [day]: ranges } });
  }

  const addRange = (day) => {
    const ranges = state.hours.weekly[day];
    const last = ranges.at(-1);
    editDay(day, [...ranges, last ? [last[1], "24:00"] : ["09:00", "17:00"]]);
  };
  const removeRange = (day, index) => editDay(day, state.hours.weekly[day].filter((_, i) => i !== index));
  const setRange = (day, index, end, value) =>
    editDay(
      day,
      state.hours.weekly[day].map((range, i) => (i === index ? (end ? [range[0], value] : [value, range[1]]) : range)),
    );
  const addHoliday = (day) => day && editHours({ holidays: [...new Set([...state.hours.holidays, day])].sort() });
  const removeHoliday = (day) => editHours({ holidays: state.hours.holidays.filter((d) => d !== day) });

  async function saveHours() {
    const { enabled, timezone, weekly, holidays } = state.hours;
    const saved = await call("PUT", "/business-hours", { enabled, timezone, weekly, holidays });
    if (saved) {
      state.hours = saved;
      state.hoursSaved = true;
      onChange();
    }
    return !!saved;
  }

  // --- agents -------------------------------------------------------------------------------------------------
  /** A new agent (their email is how they sign in) and their invitation's link, to copy (also mailed when mail
   * is on). */
  async function invite({ name, email, role }) {
    const agent = await call("POST", "/agents", { serviceUserId: email, name, email, role });
    if (!agent) return false;
    const invitation = await call("POST", `/agents/${agent.id}/invite`);
    state.invited = invitation && { name, ...invitation };
    await loaders.agents();
    onChange();
    return true;
  }

  async function reinvite(agent) {
    const invitation = await call("POST", `/agents/${agent.id}/invite`);
    state.invited = invitation && { name: agent.name, ...invitation };
    onChange();
  }

  async function changeAgent(agent, change) {
    if (await call("PUT", `/agents/${agent.id}`, change)) await loaders.agents();
    onChange();
  }

  async function showTokens(agent) {
    if (state.tokensOf.has(agent.id)) state.tokensOf.delete(agent.id);
    else state.tokensOf.set(agent.id, (await call("GET", `/agents/${agent.id}/tokens`)) || []);
    state.tokensOf = new Map(state.tokensOf);
    onChange();
  }

  async function revokeAgentToken(agent, token) {
    if (await call("DELETE", `/agents/${agent.id}/tokens/${token.id}`)) {
      state.tokensOf = new Map(state.tokensOf).set(agent.id, (await call("GET", `/agents/${agent.id}/tokens`)) || []);
      onChange();
    }
  }

  // --- API tokens ---------------------------------------------------------------------------------------------
  async function createApiToken(name) {
    const created = await call("POST", "/api-tokens", { name });
    if (created) {
      state.createdToken = created;
      await loaders.tokens();
      onChange();
    }
    return !!created;
  }

  async function revokeApiToken(token) {
    if (await call("DELETE", `/api-tokens/${token.id}`)) await loaders.tokens();
    onChange();
  }

  // --- the webhook --------------------------------------------------------------------------------------------
  async function saveWebhook({ url, events }) {
    const saved = await call("PUT", "/webhook", { url, events: events.length ? events : null });
    if (saved) {
      state.secret = saved.secret;
      await loaders.webhook();
      onChange();
    }
    return !!saved;
  }

  async function rotateSecret() {
    const rotated = await call("POST", "/webhook/rotate-secret");
    if (rotated) state.secret = rotated.secret;
    onChange();
  }

  async function redeliver(delivery) {
    if (await call("POST", `/webhook/deliveries/${delivery.id}/redeliver`)) await loaders.webhook();
    onChange();
  }

  // --- mail ---------------------------------------------------------------------------------------------------
  async function loadOutbox(after) {
    const query = new URLSearchParams({ limit: String(MAIL_PAGE) });
    if (after) query.set("after", after);
    if (state.outboxStatus) query.set("status", state.outboxStatus);
    const page = (await call("GET", `/mail/outbox?${query}`)) || [];
    state.outbox = after ? [...state.outbox, ...page] : page;
    state.outboxMore = page.length === MAIL_PAGE;
    onChange();
  }

  function filterOutbox(status) {
    state.outboxStatus = status;
    return loadOutbox(null);
  }

  const loadMoreOutbox = () => loadOutbox(state.outbox.at(-1)?.id ?? null);

  async function retryMail(mail) {
    if (await call("POST", `/mail/outbox/${mail.id}/retry`)) await loadOutbox(null);
  }

  // --- canned responses ---------------------------------------------------------------------------------------
  async function saveCanned(existing, { shortcut, text }) {
    const saved = existing
      ? await call("PUT", `/canned-responses/${existing.id}`, { shortcut, text })
      : await call("POST", "/canned-responses", { shortcut, text });
    if (saved) await loaders.canned();
    onChange();
    return !!saved;
  }

  async function deleteCanned(response) {
    if (await call("DELETE", `/canned-responses/${response.id}`)) await loaders.canned();
    onChange();
  }

  // --- the audit log ------------------------------------------------------------------------------------------
  async function loadAudit(after) {
    const query = new URLSearchParams({ limit: String(AUDIT_PAGE) });
    if (after) query.set("after", after);
    if (state.auditFilter.actor) query.set("actor", state.auditFilter.actor);
    if (state.auditFilter.action) query.set("action", state.auditFilter.action);
    const page = (await call("GET", `/audit-log?${query}`)) || [];
    state.audit = after ? [...state.audit, ...page] : page;
    state.auditMore = page.length === AUDIT_PAGE;
    onChange();
  }

  function filterAudit(change) {
    state.auditFilter = { ...state.auditFilter, ...change };
    return loadAudit(null);
  }

  const loadMoreAudit = () => loadAudit(state.audit.at(-1)?.id ?? null);

  return {
    state,
    open,
    typeWidget,
    saveWidget,
    editHours,
    addRange,
    removeRange,
    setRange,
    addHoliday,
    removeHoliday,
    saveHours,
    invite,
    reinvite,
    changeAgent,
    showTokens,
    revokeAgentToken,
    createApiToken,
    revokeApiToken,
    saveWebhook,
    rotateSecret,
    redeliver,
    filterOutbox,
    loadMoreOutbox,
    retryMail,
    saveCanned,
    deleteCanned,
    filterAudit,
    loadMoreAudit,
  };
}

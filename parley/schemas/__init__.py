"""The wire format, mirroring the spec: the seed's objects, the request bodies and the envelopes, one module a noun.

Keys are camelCase exactly as in the seed's examples; absent relations are `null`, never missing. Every public name
is re-exported here, so callers write `schemas.Message` whatever module it lives in:

- `common`: the base models, the envelopes, `Deleted`, the list and cursor limits, the storable-text checks;
- `files`: files and their URLs;
- `people`: agents, end users, the bot, agents' console tokens, the signed-in agent;
- `conversations`: conversations, their status, a console's row and folder counts, typing indicators;
- `labels`: setting a conversation's labels, the workspace's labels with their counts;
- `activity`: a conversation's activity log;
- `messages`: messages, sending them, read receipts;
- `reviews`: reviews, rating them, an agent's summary;
- `search`: a conversation found by words;
- `events`: the event frame and the webhook event names;
- `webhooks`: the workspace's webhook and its deliveries;
- `mail`: whether mail is on, and the mail outbox;
- `widget`: a visitor's session and the workspace's widget settings;
- `exports`: everything stored about one end user;
- `canned_responses`: the workspace's reply templates;
- `business_hours`: the workspace's weekly hours, time zone and holidays.
"""

from parley.schemas.activity import Activity, ActivityActor, ActivityKind, ActorType
from parley.schemas.business_hours import BusinessHours, PutBusinessHoursRequest, WeeklyHours
from parley.schemas.canned_responses import (
    CannedResponse,
    CreateCannedResponseRequest,
    UpdateCannedResponseRequest,
)
from parley.schemas.common import (
    MAX_CURSOR,
    MAX_LIST_LIMIT,
    META_MAX_BYTES,
    META_MAX_DEPTH,
    ClientUuid,
    Deleted,
    Envelope,
    ErrorDetail,
    ErrorEnvelope,
    Name,
    RequestModel,
    StorableJsonObject,
    StorableStr,
    WireModel,
    storable_json_problem,
)
from parley.schemas.conversations import (
    CONVERSATION_STATUSES,
    AssignAgentRequest,
    Conversation,
    ConversationCounts,
    ConversationSort,
    ConversationStatus,
    ConversationSummary,
    CreateConversationRequest,
    SetStatusRequest,
    Typing,
    TypingRequest,
)
from parley.schemas.events import WEBHOOK_EVENTS, EventFrame, WebhookEventName
from parley.schemas.exports import EndUserExport
from parley.schemas.files import File, FileInfo, FileMeta, FileUrls
from parley.schemas.labels import MAX_LABEL_LENGTH, MAX_LABELS, Label, LabelCount, PutLabelsRequest
from parley.schemas.mail import InboundEmailReceipt, MailKind, MailState, MailStatus, OutboxMail
from parley.schemas.messages import (
    NOTE,
    Message,
    MessageSource,
    ReadReceipt,
    ReadRequest,
    SendFileRequest,
    SendNoteRequest,
    SendTextRequest,
)
from parley.schemas.people import (
    Agent,
    AgentToken,
    AgentTokenInfo,
    Bot,
    CreateAgentRequest,
    CreateEndUserRequest,
    EndUser,
    SetAvailabilityRequest,
    SetEmailNotificationsRequest,
    SignedInAgent,
    UpdateAgentRequest,
    UpdateVisitorRequest,
    WorkspaceName,
)
from parley.schemas.reviews import RateReviewRequest, Review, ReviewDistribution, ReviewSummary
from parley.schemas.search import SearchResult
from parley.schemas.sessions import (
    MIN_PASSWORD_LENGTH,
    ApiTokenInfo,
    AuditActor,
    AuditActorType,
    AuditEntry,
    AuditTarget,
    CreateApiTokenRequest,
    CreatedApiToken,
    Invitation,
    PasswordResetRequest,
    PasswordResetRequested,
    Session,
    SetPasswordRequest,
    SignInRequest,
)
from parley.schemas.webhooks import PutWebhookRequest, WebhookConfig, WebhookDelivery, WebhookSecret
from parley.schemas.widget import (
    AccentColor,
    PutWidgetSettingsRequest,
    SessionRequest,
    WidgetOrigin,
    WidgetSession,
    WidgetSettings,
    WorkspaceWidgetSettings,
)

__all__ = [
    "CONVERSATION_STATUSES",
    "MAX_CURSOR",
    "MAX_LABELS",
    "MAX_LABEL_LENGTH",
    "MAX_LIST_LIMIT",
    "META_MAX_BYTES",
    "META_MAX_DEPTH",
    "MIN_PASSWORD_LENGTH",
    "NOTE",
    "WEBHOOK_EVENTS",
    "AccentColor",
    "Activity",
    "ActivityActor",
    "ActivityKind",
    "ActorType",
    "Agent",
    "AgentToken",
    "AgentTokenInfo",
    "ApiTokenInfo",
    "AssignAgentRequest",
    "AuditActor",
    "AuditActorType",
    "AuditEntry",
    "AuditTarget",
    "Bot",
    "BusinessHours",
    "CannedResponse",
    "ClientUuid",
    "Conversation",
    "ConversationCounts",
    "ConversationSort",
    "ConversationStatus",
    "ConversationSummary",
    "CreateAgentRequest",
    "CreateApiTokenRequest",
    "CreateCannedResponseRequest",
    "CreateConversationRequest",
    "CreateEndUserRequest",
    "CreatedApiToken",
    "Deleted",
    "EndUser",
    "EndUserExport",
    "Envelope",
    "ErrorDetail",
    "ErrorEnvelope",
    "EventFrame",
    "File",
    "FileInfo",
    "FileMeta",
    "FileUrls",
    "InboundEmailReceipt",
    "Invitation",
    "Label",
    "LabelCount",
    "MailKind",
    "MailState",
    "MailStatus",
    "Message",
    "MessageSource",
    "Name",
    "OutboxMail",
    "PasswordResetRequest",
    "PasswordResetRequested",
    "PutBusinessHoursRequest",
    "PutLabelsRequest",
    "PutWebhookRequest",
    "PutWidgetSettingsRequest",
    "RateReviewRequest",
    "ReadReceipt",
    "ReadRequest",
    "RequestModel",
    "Review",
    "ReviewDistribution",
    "ReviewSummary",
    "SearchResult",
    "SendFileRequest",
    "SendNoteRequest",
    "SendTextRequest",
    "Session",
    "SessionRequest",
    "SetAvailabilityRequest",
    "SetEmailNotificationsRequest",
    "SetPasswordRequest",
    "SetStatusRequest",
    "SignInRequest",
    "SignedInAgent",
    "StorableJsonObject",
    "StorableStr",
    "Typing",
    "TypingRequest",
    "UpdateAgentRequest",
    "UpdateCannedResponseRequest",
    "UpdateVisitorRequest",
    "WebhookConfig",
    "WebhookDelivery",
    "WebhookEventName",
    "WebhookSecret",
    "WeeklyHours",
    "WidgetOrigin",
    "WidgetSession",
    "WidgetSettings",
    "WireModel",
    "WorkspaceName",
    "WorkspaceWidgetSettings",
    "storable_json_problem",
]

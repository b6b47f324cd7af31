"""The wire format, mirroring the spec: the seed's objects, the request bodies and the envelopes, one module a noun.

Keys are camelCase exactly as in the seed's examples; absent relations are `null`, never missing. Every public name
is re-exported here, so callers write `schemas.Message` whatever module it lives in:

- `common`: the base models, the envelopes, `Deleted`, the list and cursor limits, the storable-text checks;
- `files`: files and their URLs;
- `people`: agents, end users, the bot, agents' console tokens, the signed-in agent;
- `conversations`: conversations, a console's row, typing indicators;
- `messages`: messages, sending them, read receipts;
- `reviews`: reviews, rating them, an agent's summary;
- `events`: the event frame and the webhook event names;
- `webhooks`: the workspace's webhook and its deliveries;
- `widget`: a visitor's session and the workspace's widget settings;
- `exports`: everything stored about one end user.
"""

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
    AssignAgentRequest,
    Conversation,
    ConversationSummary,
    CreateConversationRequest,
    Typing,
    TypingRequest,
)
from parley.schemas.events import WEBHOOK_EVENTS, EventFrame, WebhookEventName
from parley.schemas.exports import EndUserExport
from parley.schemas.files import File, FileInfo, FileMeta, FileUrls
from parley.schemas.messages import Message, ReadReceipt, ReadRequest, SendFileRequest, SendTextRequest
from parley.schemas.people import (
    Agent,
    AgentToken,
    AgentTokenInfo,
    Bot,
    CreateAgentRequest,
    CreateEndUserRequest,
    EndUser,
    SetAvailabilityRequest,
    SignedInAgent,
    UpdateAgentRequest,
    WorkspaceName,
)
from parley.schemas.reviews import RateReviewRequest, Review, ReviewDistribution, ReviewSummary
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
    "MAX_CURSOR",
    "MAX_LIST_LIMIT",
    "META_MAX_BYTES",
    "META_MAX_DEPTH",
    "WEBHOOK_EVENTS",
    "AccentColor",
    "Agent",
    "AgentToken",
    "AgentTokenInfo",
    "AssignAgentRequest",
    "Bot",
    "ClientUuid",
    "Conversation",
    "ConversationSummary",
    "CreateAgentRequest",
    "CreateConversationRequest",
    "CreateEndUserRequest",
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
    "Message",
    "Name",
    "PutWebhookRequest",
    "PutWidgetSettingsRequest",
    "RateReviewRequest",
    "ReadReceipt",
    "ReadRequest",
    "RequestModel",
    "Review",
    "ReviewDistribution",
    "ReviewSummary",
    "SendFileRequest",
    "SendTextRequest",
    "SessionRequest",
    "SetAvailabilityRequest",
    "SignedInAgent",
    "StorableJsonObject",
    "StorableStr",
    "Typing",
    "TypingRequest",
    "UpdateAgentRequest",
    "WebhookConfig",
    "WebhookDelivery",
    "WebhookEventName",
    "WebhookSecret",
    "WidgetOrigin",
    "WidgetSession",
    "WidgetSettings",
    "WireModel",
    "WorkspaceName",
    "WorkspaceWidgetSettings",
    "storable_json_problem",
]

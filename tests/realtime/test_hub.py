"""Fan-out costs what it delivers (#21): an event is offered only to the sockets it is for, found by its typed
routing, whatever the number of sockets connected; no frame is parsed to decide."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from parley.realtime.hub import Hub, Subscription
from parley.storage.records import NewEvent

WORKSPACE = "w"
VISITORS = 1_000


def event(name: str, conversation_id: str | None = None, **routing: object) -> NewEvent:
    payload = "this is not JSON: nothing may parse it"
    return NewEvent("e", WORKSPACE, conversation_id, name, payload, 1, 0, None, **routing)  # type: ignore[arg-type]


@pytest.fixture
def offers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[Subscription]]:
    """Every offer the hub makes, by subscription."""
    counted: Counter[Subscription] = Counter()
    offer = Subscription.offer

    def counting(subscription: Subscription, offered: NewEvent) -> None:
        counted[subscription] += 1
        offer(subscription, offered)

    monkeypatch.setattr(Subscription, "offer", counting)
    yield counted


@pytest.fixture
def hub() -> Hub:
    """A thousand visitors (visitor n: end user u<n>, conversation c<n>, assigned to agent a<n % 10>), two consoles."""
    hub = Hub()
    for n in range(VISITORS):
        hub.subscribe_visitor(WORKSPACE, f"u{n}", {f"c{n}"}, {f"a{n % 10}"})
    hub.subscribe_agent(WORKSPACE, "a1", frozenset({"t1", "a1"}))
    hub.subscribe_agent(WORKSPACE, "a2", frozenset({"t2", "a2"}))
    hub.subscribe_agent("another workspace", "a9", frozenset({"t9", "a9"}))
    return hub


def reached(offers: Counter[Subscription]) -> set[str]:
    return {s.agent_id or s.end_user_id or "" for s in offers}


def test_a_message_is_offered_to_its_conversations_visitor_and_the_workspaces_consoles(
    hub: Hub, offers: Counter[Subscription]
) -> None:
    hub.publish([event("message.created", "c7")])
    assert reached(offers) == {"u7", "a1", "a2"} and sum(offers.values()) == 3


def test_a_new_conversation_finds_its_visitors_sockets_which_then_follow_it(
    hub: Hub, offers: Counter[Subscription]
) -> None:
    hub.publish([event("conversation.created", "c-new", end_user_id="u5")])
    hub.publish([event("message.created", "c-new")])
    assert reached(offers) == {"u5", "a1", "a2"} and sum(offers.values()) == 6


def test_an_agents_status_reaches_the_visitors_they_are_assigned_to_and_follows_reassignment(
    hub: Hub, offers: Counter[Subscription]
) -> None:
    hub.publish([event("agent.status_changed", agent_id="a3")])
    assert reached(offers) - {"a1", "a2"} == {f"u{n}" for n in range(3, VISITORS, 10)}

    hub.publish([event("conversation.assigned", "c3", agent_id="a4")])  # u3's conversation goes to a4
    offers.clear()
    hub.publish([event("agent.status_changed", agent_id="a3")])
    assert "u3" not in reached(offers) and "u13" in reached(offers)
    offers.clear()
    hub.publish([event("agent.status_changed", agent_id="a4")])
    assert "u3" in reached(offers)


def test_notes_and_a_visitors_own_typing_reach_the_consoles_only_and_an_agent_not_their_own_typing(
    hub: Hub, offers: Counter[Subscription]
) -> None:
    hub.publish([event("message.created", "c7", agents_only=True)])
    hub.publish([event("typing", "c7", agents_only=True)])  # the visitor's
    assert reached(offers) == {"a1", "a2"}
    offers.clear()
    hub.publish([event("typing", "c7", agent_id="a1")])
    assert reached(offers) == {"u7", "a2"}


def test_an_unsubscribed_socket_is_in_no_index(hub: Hub, offers: Counter[Subscription]) -> None:
    visitor = hub.subscribe_visitor(WORKSPACE, "u-gone", {"c-gone"}, {"a-gone"})
    hub.unsubscribe(visitor)
    hub.publish([event("message.created", "c-gone"), event("agent.status_changed", agent_id="a-gone")])
    hub.publish([event("conversation.created", "c-gone-2", end_user_id="u-gone")])
    assert visitor not in offers and hub.connections() == VISITORS + 3

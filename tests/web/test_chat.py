"""A visitor on the demo page and the demo agent in the console, in two browser profiles, chatting for real."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.async_api import FilePayload, Locator, Page, expect

from tests.web.conftest import NewContext, WebServer, png, screenshot_path

pytestmark = pytest.mark.asyncio(loop_scope="module")


def widget_message(visitor: Page, text: str) -> Locator:
    return visitor.locator("parley-chat .msg", has_text=text)


def console_message(agent: Page, text: str) -> Locator:
    return agent.locator("#messages .msg", has_text=text)


async def test_visitor_and_agent_chat_live_with_files_a_review_and_a_reload(
    server: WebServer, new_context: NewContext, tmp_path: Path
) -> None:
    visitor_context = await new_context(1280, 860)
    agent_context = await new_context(1280, 800)
    visitor = await visitor_context.new_page()
    agent = await agent_context.new_page()

    # The agent signs in from the link `parley demo` prints; the token leaves the address bar.
    await agent.goto(server.console_url)
    await expect(agent.locator("#conn")).to_have_text("Live")
    assert "token" not in agent.url
    await expect(agent.locator("#status")).to_have_text("Online")  # an open console is presence

    # The workspace's widget settings: title, colour and the bot's greeting.
    settings = {"title": "Example Co. support", "accentColor": "#0f766e", "greeting": "Hi! How can we help?"}
    async with httpx.AsyncClient(base_url=server.base) as http:
        put = await http.put(
            "/api/external/v1/widget-settings", json=settings, headers={"Authorization": server.api_token}
        )
        assert put.status_code == 200, put.text

    # The visitor opens the widget on the demo page, sees the greeting, and writes: that starts the conversation,
    # greeted by the bot.
    await visitor.goto(server.demo_url)
    launcher = visitor.get_by_role("button", name="Open chat")
    await launcher.click()
    await expect(visitor.get_by_role("dialog", name="Example Co. support")).to_be_visible()
    await expect(visitor.locator("parley-chat").get_by_text("Hi! How can we help?")).to_be_visible()
    header_colour = "el => getComputedStyle(el).backgroundColor"
    assert await visitor.locator("parley-chat header").evaluate(header_colour) == "rgb(15, 118, 110)"
    message_box = visitor.get_by_role("textbox", name="Message")
    await expect(message_box).to_be_enabled()
    await message_box.fill("Hello, I need help with my order")
    await message_box.press("Enter")
    await expect(widget_message(visitor, "Hello, I need help")).to_contain_text("Delivered")
    await expect(widget_message(visitor, "Hi! How can we help?")).to_contain_text("Parley bot")

    # The agent sees it arrive live, with its unread count, and opens it: the visitor sees it read.
    row = agent.locator(".row", has_text="Hello, I need help with my order")
    await expect(row.locator(".unread-count")).to_have_text("1")
    await row.click()
    await expect(console_message(agent, "Hello, I need help with my order")).to_be_visible()
    await expect(row.locator(".unread-count")).to_have_count(0)
    await expect(widget_message(visitor, "Hello, I need help")).to_contain_text("Read")

    # The agent takes the conversation: the visitor sees who answers, and that they are online.
    await agent.get_by_role("button", name="Assign to me").click()
    await expect(agent.locator("#thread-sub")).to_have_text("Assigned to you")
    header = visitor.locator("parley-chat header")
    await expect(header).to_contain_text("Demo Agent")
    await expect(header).to_contain_text("Online")

    # Typing shows on the other side; the answer arrives live.
    reply = agent.get_by_role("textbox", name="Reply")
    await reply.fill("Hi! Which order is it?")
    await expect(visitor.locator("parley-chat .typing")).to_have_text("Demo Agent is typing…")
    await reply.press("Enter")
    answer = widget_message(visitor, "Hi! Which order is it?")
    await expect(answer).to_contain_text("Demo Agent")
    await expect(visitor.locator("parley-chat .typing")).to_have_text("")
    await expect(console_message(agent, "Hi! Which order is it?")).to_contain_text("Read")  # the panel is open

    # The visitor sends a picture (shown as its 520x400 thumbnail) and a document (a link with name and size).
    upload = visitor.locator("parley-chat input[type=file]")
    await upload.set_input_files({"name": "receipt.png", "mimeType": "image/png", "buffer": png(800, 450)})
    thumbnail = visitor.locator("parley-chat .msg.me img[alt='receipt.png']")
    thumbnail_url = re.compile(re.escape(f"{server.base}/static/520x400/") + r".+\.png")
    await expect(thumbnail).to_have_attribute("src", thumbnail_url)
    await visitor.wait_for_function(
        "() => document.querySelector('parley-chat').shadowRoot.querySelector(\"img[alt='receipt.png']\").naturalWidth"
    )
    assert await thumbnail.evaluate("img => [img.naturalWidth, img.naturalHeight]") in ([520, 292], [520, 293])
    pdf = b"%PDF-1.4\n" + b"% order 1234\n" * 200 + b"%%EOF\n"
    await upload.set_input_files({"name": "order-notes.pdf", "mimeType": "application/pdf", "buffer": pdf})
    document_link = visitor.locator("parley-chat a.file", has_text="order-notes.pdf")
    await expect(document_link).to_contain_text("2.6 KB")
    await expect(agent.locator("#messages img[alt='receipt.png']")).to_be_visible()
    await expect(agent.locator("#messages a.file", has_text="order-notes.pdf")).to_be_visible()

    # The agent answers with a file too.
    label = FilePayload(name="label.png", mimeType="image/png", buffer=png(300, 200))
    await agent.locator("#file").set_input_files(label)
    await expect(visitor.locator("parley-chat .msg.them img[alt='label.png']")).to_be_visible()

    # A review: the agent asks, the visitor rates 4 stars with a comment and confirms; the console sees it.
    await agent.get_by_role("button", name="Request review").click()
    card = visitor.locator("parley-chat form.review")
    await expect(card).to_contain_text("How would you rate Demo Agent?")
    await card.locator("label", has_text="4 stars").click()
    await card.get_by_role("textbox", name="Comment (optional)").fill("Quick and kind")
    await card.get_by_role("button", name="Send rating").click()
    await expect(visitor.locator("parley-chat .review.done")).to_contain_text("Thanks for your feedback!")
    await expect(visitor.get_by_role("img", name="You rated 4 out of 5")).to_be_visible()
    review = agent.locator("#messages .review")
    await expect(review).to_contain_text("★★★★☆")
    await expect(review).to_contain_text("Quick and kind")
    await expect(review).to_contain_text("(confirmed)")

    await visitor.screenshot(path=screenshot_path("widget.png", tmp_path))

    # The open widget has read everything the agent sent: the console shows each of those messages as read. (Only
    # then is the reload below clean: a read receipt still in flight would come back unread after it.)
    await expect(agent.locator("#messages .msg.agent .status:not(.read)")).to_have_count(0)

    # A reload keeps the whole conversation (the visitor's token is in localStorage; history then live events).
    await visitor.reload()
    await visitor.get_by_role("button", name="Open chat").click()
    for text in ("Hello, I need help with my order", "Hi! Which order is it?", "order-notes.pdf"):
        await expect(widget_message(visitor, text)).to_be_visible()
    await expect(visitor.locator("parley-chat img[alt='receipt.png']")).to_be_visible()
    await expect(visitor.locator("parley-chat img[alt='label.png']")).to_be_visible()
    await expect(visitor.locator("parley-chat .review.done")).to_contain_text("Quick and kind")
    await expect(visitor.locator("parley-chat .msg")).to_have_count(7)  # the greeting too

    # Closed, the launcher counts what arrives; a locked conversation says so, and the visitor may still write (their
    # next message starts a new conversation: test_widget_conversation.py).
    await visitor.get_by_role("dialog").get_by_role("button", name="Close chat").click()
    await reply.fill("Anything else?")
    await reply.press("Enter")
    await expect(visitor.get_by_role("button", name="Open chat, 1 unread message")).to_be_visible()
    await agent.get_by_role("button", name="Lock").click()
    await visitor.get_by_role("button", name="Open chat").click()
    await expect(widget_message(visitor, "Anything else?")).to_be_visible()
    await expect(visitor.locator("parley-chat .locked")).to_contain_text("This conversation was closed.")
    await expect(visitor.get_by_role("textbox", name="Message")).to_be_enabled()
    await agent.get_by_role("button", name="Unlock").click()
    await expect(visitor.locator("parley-chat .locked")).to_be_hidden()

    # Offline: the widget says so; back online it resumes from its cursor and gets what it missed.
    await visitor_context.set_offline(True)
    await expect(visitor.locator("parley-chat .banner")).to_contain_text("You're offline")
    await reply.fill("Sent while you were away")
    await reply.press("Enter")
    await expect(console_message(agent, "Sent while you were away")).to_be_visible()
    await visitor_context.set_offline(False)
    await expect(widget_message(visitor, "Sent while you were away")).to_be_visible()
    await expect(visitor.locator("parley-chat .banner")).to_be_hidden()

"""Agents are people in the console: they accept an invitation, sign in with an email and a password, reset it, and
owners and admins run the workspace from the admin pages, which an agent never sees (and the API refuses them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from parley.services import audit, sessions
from parley.services.workspaces import DEMO_WORKSPACE
from parley.storage.records import WorkspaceRecord
from parley.storage.repositories import workspaces as workspace_repo
from tests.support.waiting import polled
from tests.web.conftest import NewContext, WebServer, screenshot_path

pytestmark = pytest.mark.asyncio(loop_scope="module")

PASSWORD = "a long enough password"


def external(server: WebServer) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"{server.base}/api/external/v1", headers={"Authorization": server.api_token}, timeout=10
    )


async def new_agent(server: WebServer, email: str, role: str, name: str) -> tuple[dict[str, Any], str]:
    """An agent of the demo workspace and their invitation link."""
    async with external(server) as http:
        body = {"serviceUserId": email, "name": name, "email": email, "role": role}
        agent = (await http.post("/agents", json=body)).json()["data"]
        invitation = (await http.post(f"/agents/{agent['id']}/invite")).json()["data"]
    return agent, invitation["inviteUrl"]


async def choose_password(page: Page, link: str) -> None:
    await page.goto(link)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_label("The same password again").fill(PASSWORD)
    await page.get_by_role("button", name="Join").or_(page.get_by_role("button", name="Set the password")).click()


async def demo_workspace(server: WebServer) -> WorkspaceRecord:
    workspace = await server.services.db.read(workspace_repo.get_workspace_by_name, DEMO_WORKSPACE)
    assert workspace is not None
    return workspace


async def signed_in_as(server: WebServer, new_context: NewContext, email: str, role: str, name: str) -> Page:
    _, link = await new_agent(server, email, role, name)
    page = await (await new_context()).new_page()
    await choose_password(page, link)
    await expect(page.locator("#me-name")).to_have_text(name)
    return page


async def test_an_invited_agent_chooses_a_password_then_signs_in_with_it(
    server: WebServer, new_context: NewContext, tmp_path: Path
) -> None:
    agent, link = await new_agent(server, "olive@example.com", "agent", "Olive")
    page = await (await new_context()).new_page()
    await page.goto(link)
    await expect(page.get_by_role("heading", name="Welcome to Parley: choose your password")).to_be_visible()
    await page.get_by_label("Password", exact=True).fill("too short")
    await page.get_by_label("The same password again").fill("too short")
    await page.get_by_role("button", name="Join").click()
    await expect(page.locator("#password-error")).to_have_text("The password needs at least 10 characters.")
    await choose_password(page, link)  # the link is still good: nothing was sent
    await expect(page.locator("#me-name")).to_have_text("Olive")
    assert "token" not in page.url and page.url.endswith("/console/")

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in to Parley")).to_be_visible()
    used = await (await new_context()).new_page()
    await choose_password(used, link)
    await expect(used.locator("#password-error")).to_contain_text("used already, or has expired")

    signing_in = await (await new_context()).new_page()
    await signing_in.goto(f"{server.base}/console/?workspace={(await demo_workspace(server)).id}")
    await signing_in.get_by_label("Email").fill("olive@example.com")
    await signing_in.screenshot(path=screenshot_path("console-signin.png", tmp_path))
    await signing_in.get_by_label("Password").fill("not the password")
    await signing_in.get_by_role("button", name="Sign in").click()
    await expect(signing_in.locator("#signin-error")).to_have_text("Wrong email or password.")
    await signing_in.get_by_label("Password").fill(PASSWORD)
    await signing_in.get_by_role("button", name="Sign in").click()
    await expect(signing_in.locator("#me-name")).to_have_text("Olive")
    assert agent["role"] == "agent"
    await expect(signing_in.get_by_role("button", name="Settings")).to_have_count(0)  # no admin pages for an agent


async def test_a_password_reset_link_sets_a_new_password(server: WebServer, new_context: NewContext) -> None:
    agent, link = await new_agent(server, "pat@example.com", "agent", "Pat")
    await choose_password(await (await new_context()).new_page(), link)
    workspace = await demo_workspace(server)
    reset = await sessions.issue_link(server.services, workspace, agent["id"], sessions.RESET, audit.CLI, by_mail=False)
    page = await (await new_context()).new_page()
    await page.goto(reset.url)
    await expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    await page.get_by_label("Password", exact=True).fill("the new password!")
    await page.get_by_label("The same password again").fill("the new password!")
    await page.get_by_role("button", name="Set the password").click()
    await expect(page.locator("#me-name")).to_have_text("Pat")
    async with httpx.AsyncClient(base_url=f"{server.base}/api/agent/v1", timeout=10) as http:
        old = {"workspaceId": workspace.id, "email": "pat@example.com", "password": PASSWORD}
        assert (await http.post("/sessions", json=old)).status_code == 401
        assert (await http.post("/sessions", json={**old, "password": "the new password!"})).status_code == 200


async def test_an_owner_changes_the_widget_watching_its_preview(
    server: WebServer, new_context: NewContext, tmp_path: Path
) -> None:
    page = await signed_in_as(server, new_context, "owen@example.com", "owner", "Owen")
    await page.get_by_role("button", name="Settings").click()
    preview = page.get_by_role("figure", name="Preview of the widget")
    await expect(preview).to_be_visible()
    await page.get_by_label("Title").fill("Ask Acme")
    await page.get_by_label("Greeting").fill("Hi! How can we help?")
    await expect(preview).to_contain_text("Ask Acme")  # before saving
    await expect(preview).to_contain_text("Hi! How can we help?")
    await page.screenshot(path=screenshot_path("console-admin.png", tmp_path))
    async with external(server) as http:
        assert (await http.get("/widget-settings")).json()["data"]["title"] != "Ask Acme"
        await page.get_by_role("button", name="Save").click()
        saved = await polled(
            lambda: http.get("/widget-settings"), lambda answer: answer.json()["data"]["title"] == "Ask Acme"
        )
        assert saved.json()["data"]["greeting"] == "Hi! How can we help?"


async def test_an_admin_revokes_an_agents_session_and_their_console_closes(
    server: WebServer, new_context: NewContext
) -> None:
    admin = await signed_in_as(server, new_context, "ada@example.com", "admin", "Ada")
    doomed = await signed_in_as(server, new_context, "dom@example.com", "agent", "Dom")
    await admin.get_by_role("button", name="Settings").click()
    await admin.get_by_role("button", name="Agents").click()
    await admin.get_by_role("row", name="Dom").get_by_role("button", name="Send a new link").click()
    await expect(admin.get_by_role("status").filter(has_text="Dom's invitation link")).to_contain_text(
        "mail is not set up, so pass it on yourself"
    )
    await admin.get_by_role("row", name="Dom").get_by_role("button", name="Sessions").click()
    sessions_list = admin.get_by_role("list", name="Dom's sessions and tokens")
    await expect(sessions_list.get_by_role("listitem")).to_have_count(1)
    await sessions_list.get_by_role("button", name="Revoke").click()
    await expect(admin.get_by_text("Dom has no session or token.")).to_be_visible()
    await expect(doomed.locator("#signin-error")).to_have_text("You were signed out: sign in again.")


async def test_a_deactivated_agents_open_console_is_closed(server: WebServer, new_context: NewContext) -> None:
    admin = await signed_in_as(server, new_context, "abe@example.com", "owner", "Abe")
    leaving = await signed_in_as(server, new_context, "lee@example.com", "agent", "Lee")
    await admin.get_by_role("button", name="Settings").click()
    await admin.get_by_role("button", name="Agents").click()
    await admin.get_by_role("button", name="Deactivate Lee").click()
    await expect(admin.get_by_role("button", name="Reactivate Lee")).to_be_visible()
    await expect(leaving.locator("#signin-error")).to_have_text("You were signed out: sign in again.")


async def test_an_api_token_is_shown_once_and_revoked(server: WebServer, new_context: NewContext) -> None:
    page = await signed_in_as(server, new_context, "tia@example.com", "owner", "Tia")
    await page.get_by_role("button", name="Settings").click()
    await page.get_by_role("button", name="API tokens").click()
    await page.get_by_label("Token name").fill("zapier")
    await page.get_by_role("button", name="Create").click()
    shown = page.get_by_role("status").filter(has_text="copy it now")
    token = (await shown.locator("code").text_content()) or ""
    assert token.startswith("plt_")
    async with httpx.AsyncClient(base_url=f"{server.base}/api/external/v1", timeout=10) as http:
        assert (await http.get("/agents", headers={"Authorization": token})).status_code == 200
        await page.get_by_role("button", name="Revoke zapier").click()
        await expect(page.get_by_role("button", name="Revoke zapier")).to_have_count(0)
        assert (await http.get("/agents", headers={"Authorization": token})).status_code == 401
    await page.get_by_role("button", name="Audit log").click()
    await expect(page.get_by_role("row").filter(has_text="token.revoked").filter(has_text="Tia")).to_have_count(1)
    await page.get_by_label("What").select_option("token.created")
    await page.get_by_label("Who").select_option(label="Tia")
    rows = page.get_by_role("table").get_by_role("row")
    await expect(rows).to_have_count(2)  # the heading, and Tia's one token
    await expect(rows.nth(1)).to_contain_text("token.created")


async def test_the_mail_page_says_when_mail_is_off(server: WebServer, new_context: NewContext) -> None:
    page = await signed_in_as(server, new_context, "mo@example.com", "owner", "Mo")
    await page.get_by_role("button", name="Settings").click()
    await page.get_by_role("button", name="Mail").click()
    await expect(page.get_by_role("status").filter(has_text="Mail is off")).to_contain_text("PARLEY_SMTP_URL")
    await expect(page.get_by_text("No mail yet.")).to_be_visible()

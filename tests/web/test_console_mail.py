"""The console's Mail page: an admin sees what was mailed, what failed and why, and sends a failed mail again;
without mail set up, the page says so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import expect
from pydantic import SecretStr

from tests.support.live import free_port
from tests.web.conftest import NewContext, WebServer, web_server
from tests.web.test_console_people import new_agent, signed_in_as

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(sqlite_template_path: Path, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[WebServer]:
    """Mail on, to a port where nothing listens: each mail fails, at its first try."""
    mail = {"smtp_url": SecretStr(f"smtp://127.0.0.1:{free_port()}"), "mail_from": "help@example.com"}
    async with web_server(
        sqlite_template_path, tmp_path_factory.mktemp("mail"), mail_max_attempts=1, mail_poll_seconds=0.1, **mail
    ) as serving:
        yield serving


async def test_an_admin_sees_a_failed_mail_and_why_and_sends_it_again(
    server: WebServer, new_context: NewContext
) -> None:
    page = await signed_in_as(server, new_context, "ada@example.com", "admin", "Ada")
    await new_agent(server, "bo@example.com", "agent", "Bo")  # an invitation mailed, and refused
    await page.get_by_role("button", name="Settings").click()
    await page.get_by_role("button", name="Mail").click()
    await expect(page.get_by_text("Mail is sent from help@example.com.")).to_be_visible()
    await page.get_by_label("Show").select_option("failed")
    table = page.get_by_role("table", name="Mail sent")
    failed = table.get_by_role("row").filter(has_text="bo@example.com")
    await expect(failed).to_contain_text("Invitation")
    await expect(failed).to_contain_text("failed")
    await expect(failed).to_contain_text("Connect")  # why: the SMTP server could not be reached
    await failed.get_by_role("button", name="Send again").click()
    await expect(failed.get_by_role("button", name="Send again")).to_be_visible()  # failed again, and says so

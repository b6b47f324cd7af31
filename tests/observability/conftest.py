"""Observability tests run on SQLite only (what they observe does not depend on the database), plus helpers to
read `/metrics` the way Prometheus does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from parley.config import Settings
from tests.support.databases import sqlite_url_from_template


@pytest.fixture
async def database_url(tmp_path: Path, sqlite_template_path: Path) -> AsyncIterator[str]:
    yield sqlite_url_from_template(sqlite_template_path, tmp_path)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Backlog gauges read from the database at most every 0.2 s (15 s by default), so that tests see them move."""
    return settings.model_copy(update={"metrics_backlog_seconds": 0.2})


def sample(exposition: str, name: str, **labels: str) -> float:
    """The value of one sample (0 when absent: a counter that never moved)."""
    for family in text_string_to_metric_families(exposition):
        for found in family.samples:
            if found.name == name and all(found.labels.get(key) == value for key, value in labels.items()):
                return float(found.value)
    return 0.0


async def scrape(client: httpx.AsyncClient, **headers: str) -> str:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text

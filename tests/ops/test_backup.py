"""`parley backup` while the server writes, `parley restore` into a fresh directory, and Parley started there."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from parley.config import Settings
from parley.ops import backup as backups
from tests.conftest import Api, running_parley
from tests.ops.conftest import install_settings, parley_env, run_parley
from tests.support.upstream import FileServer, image_bytes
from tests.support.waiting import eventually

WRITERS = 4


async def _history(api: Api, conversation_id: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    after = 0
    while page := await api.ok("GET", f"/conversation/{conversation_id}/messages?after={after}&limit=100"):
        messages += page
        after = page[-1]["microseconds"]
    return messages


async def test_a_backup_taken_under_write_load_restores_every_acknowledged_message_once(
    tmp_path: Path, sqlite_install: tuple[Path, str], file_server: FileServer
) -> None:
    data_dir, url = sqlite_install
    # No configured secret key: the install generates its own, and the backup must carry it.
    settings = install_settings(data_dir, url, secret_key=None)
    picture = file_server.add("/backup/picture.png", image_bytes("PNG", size=(600, 400)), "image/png")
    acknowledged: list[tuple[str, str, float]] = []  # (conversation, uuid, when the 200 came back)
    stop = asyncio.Event()

    async with running_parley(settings) as parley:
        api = await parley.new_workspace()
        first = await api.conversation(name="Ann")
        sent_file = await api.ok(
            "POST", f"/conversation/{first['id']}/send-file-message", json={"file": picture, "uuid": "pic"}
        )
        ann = await api.ok("GET", f"/end-users/{first['endUser']['id']}")

        async def writer(n: int) -> None:
            conversation = (await api.conversation())["id"]
            i = 0
            while not stop.is_set():
                body = {"uuid": f"w{n}-{i}", "text": f"message {i} of writer {n}"}
                await api.ok("POST", f"/conversation/{conversation}/send-text-message", json=body)
                acknowledged.append((conversation, body["uuid"], time.monotonic()))
                i += 1

        writers = [asyncio.create_task(writer(n)) for n in range(WRITERS)]
        await eventually(lambda: len(acknowledged) > 20, what="the writers to be under way")
        began = time.monotonic()
        ran = await run_parley(parley_env(data_dir, url), "backup", str(tmp_path / "backup"))
        ended = time.monotonic()
        await eventually(lambda: acknowledged[-1][2] > ended, what="a write acknowledged after the backup")
        stop.set()
        await asyncio.gather(*writers)

    assert ran.returncode == 0, ran.stderr
    before = [(c, u) for c, u, at in acknowledged if at < began]
    during = [(c, u) for c, u, at in acknowledged if began <= at <= ended]
    assert len(before) > 20 and len(during) > 5, "the server kept writing while the backup ran"
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["database"] == "sqlite" and manifest["schemaRevision"] and manifest["secretKey"] is True
    assert manifest["files"]["count"] == 3, "the picture and its two thumbnails"

    restored_dir = tmp_path / "restored"
    restored = await run_parley(parley_env(restored_dir), "restore", str(tmp_path / "backup"))
    assert restored.returncode == 0, restored.stderr

    # Parley started on the restored directory (its default database, its restored secret key)
    async with running_parley(Settings(data_dir=restored_dir, public_url="http://parley.test")) as parley:
        api = parley.api(api.token, api.workspace_id)
        found: Counter[tuple[str, str]] = Counter()
        ids: Counter[str] = Counter()
        for conversation in {c for c, _, _ in acknowledged}:
            for message in await _history(api, conversation):
                found[(conversation, message["uuid"])] += 1
                ids[message["id"]] += 1
        missing = [key for key in before if found[key] != 1]
        assert missing == [], f"{len(missing)} acknowledged messages are not there exactly once"
        assert all(n == 1 for n in ids.values())
        assert await api.ok("GET", f"/end-users/{ann['id']}") == ann, "same visitor, same websocket token"
        [message] = await _history(api, first["id"])
        assert message["file"] == sent_file["file"]
        path = sent_file["file"]["info"]["path"]
        for prefix in ("", "/120x120", "/520x400"):
            response = await parley.client.get(f"/static{prefix}{path}")
            assert response.status_code == 200, prefix
        assert (await parley.client.get(f"/static{path}")).content == file_server.files["/backup/picture.png"][1]


async def test_restore_refuses_a_non_empty_data_dir_and_backup_a_non_empty_target(
    tmp_path: Path, sqlite_install: tuple[Path, str]
) -> None:
    data_dir, url = sqlite_install
    settings = install_settings(data_dir, url)
    echo: list[str] = []
    backups.backup(settings, tmp_path / "backup", echo.append)

    with pytest.raises(backups.BackupError, match="not empty"):
        backups.backup(settings, tmp_path / "backup", echo.append)
    with pytest.raises(backups.BackupError, match="not empty"):
        backups.restore(install_settings(data_dir, url), tmp_path / "backup", echo.append)
    with pytest.raises(backups.BackupError, match="manifest"):
        backups.restore(install_settings(tmp_path / "fresh", ""), tmp_path / "nothing", echo.append)

    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("mine")
    ran = await run_parley(parley_env(occupied), "restore", str(tmp_path / "backup"))
    assert ran.returncode == 1 and "not empty" in ran.stderr
    assert [p.name for p in occupied.iterdir()] == ["keep.txt"]


def test_on_postgresql_the_backup_holds_the_files_and_says_how_to_dump_the_database(
    tmp_path: Path, postgres_url: str
) -> None:
    settings = install_settings(tmp_path / "data", postgres_url)
    (tmp_path / "data" / "files" / "ab" / "cd" / "ef").mkdir(parents=True)
    (tmp_path / "data" / "files" / "ab" / "cd" / "ef" / ("abcdef" + "0" * 58 + ".txt")).write_text("kept")
    echo: list[str] = []

    manifest = backups.backup(settings, tmp_path / "backup", echo.append)

    assert manifest["database"] == "postgresql" and manifest["files"] == {"count": 1, "bytes": 4}
    assert not (tmp_path / "backup" / "parley.db").exists()
    printed = "\n".join(echo)
    assert "pg_dump --format=custom" in printed and "pg_restore" in printed
    assert "postgresql+asyncpg" not in printed, "a URL libpq understands"
    backups.restore(install_settings(tmp_path / "fresh", postgres_url), tmp_path / "backup", echo.append)
    assert (tmp_path / "fresh" / "files" / "ab" / "cd" / "ef" / ("abcdef" + "0" * 58 + ".txt")).read_text() == "kept"

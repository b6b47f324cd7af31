"""Conformance to the seed: each of its four example responses, produced for real, has the seed's structure.

The examples are verbatim copies kept in `seed_examples/` (see its README); this file never reads the shared spec.
Structure means: every key of the seed is present (Parley may add keys), with the same JSON type, recursively;
a `null` in the seed is `null` here and an object in the seed is an object here.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api
from tests.support.upstream import FileServer, image_bytes

SEED_DIR = Path(__file__).parent / "seed_examples"
SEED_NAMES = ("assign_agent", "send_text_message", "send_file_message", "request_review")
REPO_ROOT = Path(__file__).resolve().parents[2]

AVATAR_SIZE = (400, 400)  # as the seed's avatar
PICTURE_SIZE = (640, 360)


def load_seed(name: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((SEED_DIR / f"{name}.json").read_text())
    return found


def _kind(value: Any) -> str:
    """The JSON type of a decoded value; bool is not a number, and an int is not a float."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"not a JSON value: {value!r}")


def assert_same_shape(seed: Any, real: Any, path: str = "$") -> None:
    """Fail, naming the JSON path, unless `real` has every key of `seed` with the same JSON type, recursively.

    Extra keys in `real` are allowed. Each element of a list in `real` is compared with the seed's first element.
    """
    expected, got = _kind(seed), _kind(real)
    assert expected == got, f"{path}: the seed has {expected} ({seed!r:.60}), Parley answers {got} ({real!r:.60})"
    if isinstance(seed, dict):
        missing = [key for key in seed if key not in real]
        assert not missing, f"{path}: missing key(s) {missing} (Parley has {sorted(real)})"
        for key, value in seed.items():
            assert_same_shape(value, real[key], f"{path}.{key}")
    elif isinstance(seed, list) and seed:
        for index, element in enumerate(real):
            assert_same_shape(seed[0], element, f"{path}[{index}]")


# The helper itself: if it could not fail, the conformance test below would prove nothing.
def test_shape_helper_accepts_the_seed_itself_and_extra_keys() -> None:
    for name in SEED_NAMES:
        seed = load_seed(name)
        assert_same_shape(seed, seed)
        extended = json.loads(json.dumps(seed))
        extended["data"]["extension"] = {"anything": [1, 2]}
        assert_same_shape(seed, extended)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d["data"]["assignedAgent"]["avatar"]["info"].pop("mimeType"), "$.data.assignedAgent.avatar.info"),
        (lambda d: d["data"].update(locked=0), "$.data.locked"),
        (lambda d: d["data"].update(createdAt=1562228238.0), "$.data.createdAt"),
        (lambda d: d["data"].update(createdAt="1562228238"), "$.data.createdAt"),
        (lambda d: d["data"].update(createdAt=True), "$.data.createdAt"),
        (lambda d: d["data"]["assignedAgent"].update(avatar=None), "$.data.assignedAgent.avatar"),
        (lambda d: d["data"]["assignedAgent"]["avatar"].update(meta=[400, 400]), "$.data.assignedAgent.avatar.meta"),
    ],
    ids=["missing-key", "bool-as-int", "int-as-float", "int-as-string", "int-as-bool", "object-as-null", "obj-as-list"],
)
def test_shape_helper_catches_a_difference_and_names_its_path(change: Any, where: str) -> None:
    seed = load_seed("assign_agent")
    real = json.loads(json.dumps(seed))
    change(real)
    with pytest.raises(AssertionError) as caught:
        assert_same_shape(seed, real)
    assert str(caught.value).startswith(f"{where}:"), str(caught.value)


def test_shape_helper_catches_an_object_where_the_seed_has_null() -> None:
    seed = load_seed("send_text_message")
    real = json.loads(json.dumps(seed))
    real["data"]["file"] = load_seed("send_file_message")["data"]["file"]
    with pytest.raises(AssertionError, match=r"^\$\.data\.file: the seed has null"):
        assert_same_shape(seed, real)


def test_shape_helper_compares_every_list_element_with_the_seeds_first() -> None:
    seed = {"data": [{"id": "a", "n": 1}]}
    assert_same_shape(seed, {"data": []})
    assert_same_shape(seed, {"data": [{"id": "b", "n": 2}, {"id": "c", "n": 3}]})
    with pytest.raises(AssertionError, match=r"^\$\.data\[1\]: missing key\(s\) \['n'\]"):
        assert_same_shape(seed, {"data": [{"id": "b", "n": 2}, {"id": "c"}]})


def test_no_test_or_source_file_reads_the_shared_spec() -> None:
    """The suite runs from a plain checkout: the seed is read from the verbatim copies beside this file."""
    forbidden = ("/work/" + "shared", "../" + "shared")
    offenders = [
        str(path.relative_to(REPO_ROOT))
        for folder in ("parley", "tests")
        for path in (REPO_ROOT / folder).rglob("*.py")
        if any(word in path.read_text(encoding="utf-8") for word in forbidden)
    ]
    assert offenders == []


# The seed's four responses, produced for real.
async def _produce(api: Api, file_server: FileServer) -> tuple[dict[str, dict[str, Any]], dict[str, bytes]]:
    avatar = image_bytes("JPEG", size=AVATAR_SIZE, color=(40, 120, 200))
    picture = image_bytes("PNG", size=PICTURE_SIZE, color=(200, 30, 90))
    avatar_url = file_server.add("/contract/avatar.jpg", avatar, "image/jpeg")
    picture_url = file_server.add("/contract/picture.png", picture, "image/png")

    agent = await api.agent("12345", avatar=avatar_url)
    assert agent["avatar"] is not None, agent
    conversation = await api.conversation(name="Ann")
    path = f"/conversation/{conversation['id']}"

    async def post(suffix: str, **kwargs: Any) -> dict[str, Any]:
        response = await api.call("POST", f"{path}/{suffix}", **kwargs)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    answers = {
        "assign_agent": await post("assign-agent", json={"agentId": agent["id"]}),
        "send_text_message": await post("send-text-message", json={"uuid": "seed-text", "text": "Hello"}),
        "send_file_message": await post("send-file-message", json={"file": picture_url, "uuid": "seed-file"}),
        "request_review": await post("request-review"),
    }
    answers["_context"] = {"agent": agent, "conversation": conversation}
    return answers, {"jpeg": avatar, "png": picture}


def _check_file(file: dict[str, Any], content: bytes, ext: str, size: tuple[int, int], where: str) -> None:
    info, url = file["info"], file["url"]
    digest = hashlib.sha256(content).hexdigest()
    assert file["type"] == "image", where
    assert file["meta"] == {"width": size[0], "height": size[1]}, where
    assert info["ext"] == ext and info["mimeType"] == f"image/{ext}", where
    assert info["size"] == len(content), where
    assert re.fullmatch(r"/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}\.[a-z0-9]+", info["path"]), where
    assert info["path"].endswith(f"/{digest}.{ext}"), f"{where}: the path is not the content's sha256"
    assert url["default"].endswith(info["path"]), where
    for box in ("120x120", "520x400"):
        assert f"/{box}/" in url[box], f"{where}: url[{box!r}] = {url[box]!r}"
        assert url[box].endswith(info["path"]), where
        assert url[box].replace(f"/{box}", "", 1) == url["default"], where
    assert file["createdAt"] <= file["updatedAt"], where


def _check_message(message: dict[str, Any], where: str) -> None:
    assert message["createdAt"] == message["microseconds"] // 1_000_000, where
    assert message["updatedAt"] >= message["createdAt"], where
    authors = [message[key] for key in ("bot", "agent", "endUser") if message[key] is not None]
    assert len(authors) == 1, f"{where}: exactly one author must be set"


async def test_the_seeds_four_responses_have_the_seeds_shape(api: Api, file_server: FileServer) -> None:
    answers, contents = await _produce(api, file_server)
    context = answers.pop("_context")

    for name in SEED_NAMES:
        assert answers[name]["status"] == 200
        assert_same_shape(load_seed(name), answers[name], f"{name}:$")

    # Value-level facts the seed's examples imply.
    agent, conversation = context["agent"], context["conversation"]
    end_user_id = conversation["endUser"]["id"]

    assigned = answers["assign_agent"]["data"]
    assert assigned["id"] == conversation["id"] and assigned["locked"] is False
    assert assigned["assignedAgent"]["id"] == agent["id"]
    assert assigned["assignedAgent"]["serviceUserId"] == "12345" and assigned["assignedAgent"]["active"] is True
    _check_file(assigned["assignedAgent"]["avatar"], contents["jpeg"], "jpeg", AVATAR_SIZE, "assign_agent avatar")

    text = answers["send_text_message"]["data"]
    _check_message(text, "send_text_message")
    assert (text["type"], text["body"]) == ("text", "Hello")
    assert text["endUser"]["id"] == end_user_id and text["endUser"]["websocketToken"]

    sent_file = answers["send_file_message"]["data"]
    _check_message(sent_file, "send_file_message")
    assert (sent_file["type"], sent_file["body"]) == ("file", None)
    assert sent_file["endUser"]["id"] == end_user_id
    _check_file(sent_file["file"], contents["png"], "png", PICTURE_SIZE, "send_file_message file")
    assert sent_file["microseconds"] > text["microseconds"]

    review_message = answers["request_review"]["data"]
    _check_message(review_message, "request_review")
    assert review_message["type"] == "review" and review_message["body"] is None
    assert review_message["bot"] is not None and review_message["agent"] is None and review_message["endUser"] is None
    review = review_message["review"]
    assert (review["mark"], review["confirmed"], review["text"]) == (0, False, "")
    assert review["agent"]["id"] == agent["id"] and review["endUser"]["id"] == end_user_id
    assert review["agent"]["avatar"] == assigned["assignedAgent"]["avatar"]
    assert review_message["microseconds"] > sent_file["microseconds"]

    # `url.default` is where Parley serves the stored bytes.
    for file, content in (
        (sent_file["file"], contents["png"]),
        (assigned["assignedAgent"]["avatar"], contents["jpeg"]),
    ):
        served = await api.client.get(file["url"]["default"])
        assert served.status_code == 200 and served.content == content, file["url"]["default"]

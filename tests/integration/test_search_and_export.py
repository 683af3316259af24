"""`GET /instagram/messages?q=` (a bounded search) and `GET /instagram/conversations/{id}/export`,
through functions/config/app.py on moto."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from inbox.models import Attachment, NormalizedMessage
from inbox.operator import search
from inbox.storage.readers import MessageReader
from inbox.storage.store import MessageStore

from tests.integration.conftest import OPERATOR, Call


@pytest.fixture
def secrets() -> dict[str, str]:
    return dict(OPERATOR)


def message(
    message_id: str, stamp: str, *, sender: str = "42", text: str | None = None, **more: Any
) -> NormalizedMessage:
    return NormalizedMessage(
        messageId=message_id,
        senderId=sender,
        text=text,
        timestamp=stamp,
        format="flat",
        receivedAt="2026-01-01T00:00:00Z",
        **more,
    )


def test_search_finds_a_word_of_the_text_or_the_sender_case_insensitively(
    call: Call, token: str, store: MessageStore
) -> None:
    # Given three messages from two people
    store.put_message(
        message("m1", "2026-03-01T10:00:00Z", sender="111", text="Do you ship to Riga?", username="anna_k")
    )
    store.put_message(
        message("m2", "2026-03-01T10:01:00Z", sender="222", text="Price of the RED dress", username="boris")
    )
    store.put_message(message("m3", "2026-03-01T10:02:00Z", sender="111", text="thanks", username="anna_k"))
    # When searching by a word, by two words, by username and by sender id
    by_word = call("GET", "/instagram/messages", query={"q": "red"}, token=token)
    by_two = call("GET", "/instagram/messages", query={"q": "dress price"}, token=token)
    by_name = call("GET", "/instagram/messages", query={"q": "@Anna_K"}, token=token)
    in_one = call("GET", "/instagram/messages", query={"q": "thanks", "senderId": "222"}, token=token)
    # Then each finds what it should, newest first, and says the whole (small) history was searched
    assert [m["messageId"] for m in by_word.body["messages"]] == ["m2"]
    assert [m["messageId"] for m in by_two.body["messages"]] == ["m2"]
    assert [m["messageId"] for m in by_name.body["messages"]] == ["m3", "m1"]
    assert in_one.body["messages"] == []
    assert by_word.body["search"] == {
        "q": "red",
        "scanned": 3,
        "window": search.SEARCH_WINDOW,
        "complete": True,
    }
    assert by_word.body["nextCursor"] is None


def test_search_reads_a_bounded_window_and_continues_with_the_cursor(
    call: Call, token: str, store: MessageStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a window of 5 messages per request and 12 messages, the oldest two saying "needle"
    monkeypatch.setattr(search, "SEARCH_WINDOW", 5)
    reads: list[int] = []
    real_newest = MessageReader.newest

    def counting(self: MessageReader, *args: Any, **kwargs: Any) -> Any:
        for item in real_newest(self, *args, **kwargs):
            reads.append(1)
            yield item

    monkeypatch.setattr(MessageReader, "newest", counting)
    for i in range(12):
        text = "needle here" if i < 2 else f"hay {i}"
        store.put_message(message(f"w{i:02}", f"2026-04-01T00:00:{i:02}Z", text=text))
    # When searching, then following nextCursor
    pages = []
    query: dict[str, str] = {"q": "needle"}
    while True:
        answer = call("GET", "/instagram/messages", query=query, token=token)
        assert answer.status == 200, answer
        pages.append(answer.body)
        if answer.body["nextCursor"] is None:
            break
        query = {"q": "needle", "cursor": answer.body["nextCursor"]}
    # Then no request read more than the window, and the old matches were reached by paging
    assert [p["search"]["scanned"] for p in pages] == [5, 5, 2]
    assert [p["search"]["complete"] for p in pages] == [False, False, True]
    assert [m["messageId"] for p in pages for m in p["messages"]] == ["w01", "w00"]
    assert len(reads) == 12


def test_search_refuses_an_empty_or_overlong_query(call: Call, token: str) -> None:
    assert call("GET", "/instagram/messages", query={"q": "  @ "}, token=token).status == 400
    assert call("GET", "/instagram/messages", query={"q": "x" * 101}, token=token).status == 400
    assert call("GET", "/instagram/messages", query={"q": "x"}).status == 401


def test_csv_export_has_a_bom_one_row_per_message_and_no_formulas(
    call: Call, token: str, store: MessageStore
) -> None:
    # Given a conversation whose customer writes formulas, Cyrillic and a line break
    store.put_message(
        message("e1", "2026-05-01T09:00:00Z", sender="777", text='=HYPERLINK("http://x")', username="@evil")
    )
    store.put_message(
        message(
            "e2",
            "2026-05-01T09:01:00Z",
            sender="777",
            text="Привет\nсекунду",
            attachments=(Attachment(type="image", url="https://cdn.example/a.jpg"),),
        )
    )
    store.put_message(message("e3", "2026-05-01T09:02:00Z", sender="777", text="-1+2"))
    store.put_message(message("other", "2026-05-01T09:03:00Z", sender="778", text="not this one"))
    # When it is exported as CSV
    answer = call("GET", "/instagram/conversations/777/export", query={"format": "csv"}, token=token)
    # Then it is a UTF-8 file with a BOM, oldest first, one row per message, formulas neutralized
    assert answer.status == 200, answer
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="conversation-777-')
    assert answer.text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(answer.text.removeprefix("\ufeff"))))
    assert [r["messageId"] for r in rows] == ["e1", "e2", "e3"]
    assert rows[0]["text"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["username"] == "'@evil"
    assert rows[1]["text"] == "Привет\nсекунду"
    assert rows[1]["attachments"] == "image:https://cdn.example/a.jpg"
    assert rows[2]["text"] == "'-1+2"


def test_json_export_and_an_unknown_conversation(call: Call, token: str, store: MessageStore) -> None:
    store.put_message(message("j1", "2026-05-02T09:00:00Z", sender="888", text="hi", username="jo"))
    answer = call("GET", "/instagram/conversations/888/export", query={"format": "json"}, token=token)
    assert answer.status == 200, answer
    body = json.loads(answer.text)
    assert (body["senderId"], body["username"], body["complete"], body["count"]) == ("888", "jo", True, 1)
    assert body["messages"][0]["text"] == "hi"
    assert answer.headers["Content-Disposition"].endswith('.json"')
    assert call("GET", "/instagram/conversations/999/export", token=token).status == 404
    assert (
        call("GET", "/instagram/conversations/888/export", query={"format": "xls"}, token=token).status == 400
    )
    assert call("GET", "/instagram/conversations/888/export").status == 401

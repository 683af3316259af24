from __future__ import annotations

from typing import Any

import pytest

from tests import bodies
from tests.bodies import meta_body

from .helpers import RECEIVED_AT_TEXT, ignored, meta_item, norm, only, unrecognized


def test_meta_text_message_becomes_one_message_without_username() -> None:
    message = only(meta_body(meta_item({"mid": "mid.1", "text": "hello"})))
    assert (message.format, message.messageId, message.senderId) == ("meta", "mid.1", "1122")
    assert (message.text, message.username, message.attachments) == ("hello", None, ())
    assert message.timestamp == "2024-11-13T12:03:00Z"


def test_meta_standby_items_are_messages_too() -> None:
    message = only(meta_body(meta_item({"mid": "mid.s", "text": "from standby"}), key="standby"))
    assert message.messageId == "mid.s"


def test_meta_messaging_and_standby_of_one_entry_keep_body_order() -> None:
    body = meta_body(meta_item({"mid": "a", "text": "1"}))
    body["entry"][0]["standby"] = [meta_item({"mid": "b", "text": "2"})]
    body["entry"].append({"id": "x", "messaging": [meta_item({"mid": "c", "text": "3"})]})
    assert [m.messageId for m in norm(body).messages] == ["a", "b", "c"]


def test_meta_object_page_is_accepted() -> None:
    assert only(meta_body(meta_item({"mid": "m", "text": "x"}), object_="page")).format == "meta"


def test_meta_envelope_without_object_is_recognized_by_its_entries() -> None:
    body = meta_body(meta_item({"mid": "m", "text": "x"}))
    del body["object"]
    assert only(body).format == "meta"


def test_entry_that_is_not_a_list_is_not_meta() -> None:
    unrecognized({"object": "instagram", "entry": {"messaging": []}})


def test_meta_envelope_of_other_object_without_messaging_is_not_meta() -> None:
    unrecognized({"object": "whatsapp_business_account", "entry": [{"id": "1"}]})


def test_meta_envelope_with_no_entries_is_recognized_and_ignored() -> None:
    ignored({"object": "instagram", "entry": []})


@pytest.mark.parametrize("flag", [True, "true", "TRUE", "1", 1, "True"])
def test_meta_echo_in_any_spelling_is_ignored(flag: object) -> None:
    ignored(meta_body(meta_item({"mid": "e", "text": "our reply", "is_echo": flag})))


@pytest.mark.parametrize("flag", [False, "false", "0", 0, None, ""])
def test_meta_falsy_echo_flag_is_a_real_message(flag: object) -> None:
    assert only(meta_body(meta_item({"mid": "m", "text": "hi", "is_echo": flag}))).text == "hi"


def test_meta_deleted_message_is_ignored() -> None:
    ignored(meta_body(meta_item({"mid": "m", "is_deleted": True})))
    ignored(meta_body(meta_item({"mid": "m", "text": "gone", "is_deleted": "true"})))


def test_meta_unsupported_message_without_content_is_ignored() -> None:
    ignored(meta_body(meta_item({"mid": "m", "is_unsupported": True})))


@pytest.mark.parametrize(
    "item",
    [
        {"sender": {"id": "1"}, "recipient": {"id": "2"}, "timestamp": 1, "read": {"mid": "m"}},
        {
            "sender": {"id": "1"},
            "recipient": {"id": "2"},
            "timestamp": 1,
            "reaction": {"mid": "m", "action": "react", "reaction": "love", "emoji": "❤"},
        },
        {
            "sender": {"id": "1"},
            "recipient": {"id": "2"},
            "timestamp": 1,
            "postback": {"mid": "m", "title": "Get started", "payload": "START"},
        },
        {"recipient": {"id": "2"}, "timestamp": 1, "message_edit": {"mid": "m", "text": "hi", "num_edit": 0}},
        {"sender": {"id": "1"}, "message_edit": {"mid": "m", "text": "edited", "num_edit": 1}},
    ],
    ids=["read", "reaction", "postback", "message_edit-no-sender", "message_edit"],
)
def test_meta_events_that_are_not_new_messages_are_ignored(item: dict[str, Any]) -> None:
    ignored(meta_body(item))


@pytest.mark.parametrize("sender", [None, {}, {"id": ""}, {"id": True}, "1122", [1]])
def test_meta_item_without_usable_sender_is_skipped(sender: object) -> None:
    item: dict[str, Any] = {"timestamp": 1731499380000, "message": {"mid": "m", "text": "hi"}}
    if sender is not None:
        item["sender"] = sender
    ignored(meta_body(item))


def test_meta_junk_entries_and_items_are_skipped_around_a_good_one() -> None:
    body = meta_body("junk", None, 5, [], {"message": "not an object"}, meta_item({"mid": "ok", "text": "x"}))
    body["entry"].insert(0, "junk entry")
    body["entry"].insert(0, {"messaging": "not a list"})
    assert [m.messageId for m in norm(body).messages] == ["ok"]


def test_meta_numeric_sender_id_keeps_every_digit() -> None:
    assert only(meta_body(meta_item({"mid": "m", "text": "x"}, sender=17841400000000000123))).senderId == (
        "17841400000000000123"
    )


def test_meta_message_without_mid_gets_a_derived_id() -> None:
    message = only(meta_body(meta_item({"text": "no mid"})))
    assert message.messageId.startswith("sha256:")


def test_meta_item_without_timestamp_uses_the_receive_time_not_entry_time() -> None:
    item = meta_item({"mid": "m", "text": "x"})
    del item["timestamp"]
    assert only(meta_body(item)).timestamp == RECEIVED_AT_TEXT


def test_meta_attachment_without_url_is_dropped_and_type_defaults_to_file() -> None:
    message = only(
        meta_body(
            meta_item(
                {
                    "mid": "m",
                    "attachments": [
                        {"type": "image", "payload": {}},
                        {"payload": {"url": "https://cdn/x"}},
                        {"type": "audio"},
                        "junk",
                    ],
                }
            )
        )
    )
    assert [(a.type, a.url) for a in message.attachments] == [("file", "https://cdn/x")]


def test_meta_message_with_only_unusable_attachments_is_ignored() -> None:
    ignored(meta_body(meta_item({"mid": "m", "attachments": [{"type": "image", "payload": {"url": ""}}]})))


def test_meta_quick_reply_keeps_the_visible_text() -> None:
    message = only(meta_body(meta_item({"mid": "m", "text": "Yes", "quick_reply": {"payload": "YES"}})))
    assert message.text == "Yes"


def test_meta_story_mention_is_an_attachment() -> None:
    message = only(
        meta_body(
            meta_item(
                {"mid": "m", "attachments": [{"type": "story_mention", "payload": {"url": "https://s"}}]}
            )
        )
    )
    assert [(a.type, a.url) for a in message.attachments] == [("story_mention", "https://s")]


def test_meta_never_reads_a_username() -> None:
    item = meta_item({"mid": "m", "text": "x"})
    item["sender"]["username"] = "someone"
    assert only(meta_body(item)).username is None


def test_meta_changes_with_other_fields_are_ignored() -> None:
    comment = {"field": "comments", "value": {"from": {"id": "5"}, "text": "nice", "id": "c1"}}
    body = meta_body(comment, time=1731499200, key="changes")
    ignored(body)


def reaction_item(
    reaction: object, *, sender: object = "1122", timestamp: object = 1731499440000
) -> dict[str, Any]:
    return bodies.meta_item(sender, timestamp, reaction=reaction)


def test_a_reaction_is_no_message_but_is_read_as_a_reaction() -> None:
    body = meta_body(
        meta_item({"mid": "m1", "text": "hi"}),
        reaction_item({"mid": "m0", "action": "react", "reaction": "love", "emoji": "❤️"}),
    )
    result = norm(body)
    assert [m.messageId for m in result.messages] == ["m1"]
    (reaction,) = result.reactions
    assert (reaction.messageId, reaction.senderId, reaction.action) == ("m0", "1122", "react")
    assert (reaction.reaction, reaction.emoji, reaction.timestamp) == ("love", "❤️", "2024-11-13T12:04:00Z")


def test_an_unreact_carries_no_emoji_and_a_reaction_without_target_or_sender_is_dropped() -> None:
    body = meta_body(
        reaction_item({"mid": "m0", "action": "unreact", "emoji": "❤️"}),
        reaction_item({"action": "react", "emoji": "x"}),
        reaction_item({"mid": "m0", "action": "react"}, sender=None),
        reaction_item({"mid": "m0", "action": "explode"}),
    )
    result = norm(body)
    assert result.recognized
    assert [(r.action, r.emoji) for r in result.reactions] == [("unreact", None)]


def test_only_a_meta_envelope_has_reactions() -> None:
    assert norm({"senderId": "1", "text": "x", "reaction": {"mid": "m", "action": "react"}}).reactions == ()

"""The shapes we keep and return, separate from the raw bodies that come in."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Source = Literal["webhook", "poller"]
DeliveryStatus = Literal["stored", "duplicate", "ignored", "unrecognized"]


class Attachment(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: str
    url: str


class NormalizedMessage(BaseModel):
    """One inbound Instagram message, whatever body it came in (see DESIGN.md's table)."""

    model_config = ConfigDict(frozen=True)

    messageId: str
    senderId: str
    username: str | None = None
    text: str | None = None
    attachments: tuple[Attachment, ...] = ()
    timestamp: str
    source: Source = "webhook"
    format: str
    receivedAt: str


class NormalizeResult(BaseModel):
    """What the normalizer made of one body.

    ``format`` is None when no adapter recognized the body (it is then kept as unrecognized);
    a recognized body may still yield no message (echoes, reads, reactions → ``ignored``).
    """

    model_config = ConfigDict(frozen=True)

    format: str | None
    messages: tuple[NormalizedMessage, ...] = ()
    unrecognizedParts: tuple[object, ...] = ()

    @property
    def recognized(self) -> bool:
        return self.format is not None

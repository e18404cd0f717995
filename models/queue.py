"""The hotline's call queue: callers waiting for a coordinator, on the line or for a call-back.

The database is the truth (no Twilio <Enqueue>): any instance can answer any step of a waiting
caller, and a restarted worker loses nobody. routing.queue decides who gets whom.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, value_enum


class QueueKind(enum.StrEnum):
    """How the caller waits: on the line, or hung up and waiting for a call-back (keeping her place)."""

    LINE = "line"
    CALLBACK = "callback"


class QueueState(enum.StrEnum):
    """Where a queue entry stands; only `waiting` and `offered` are still in the queue."""

    WAITING = "waiting"
    #: A coordinator was chosen for her and is being rung (`offered_to`); a decline puts her back to waiting.
    OFFERED = "offered"
    CONNECTED = "connected"
    #: She hung up while waiting.
    LEFT = "left"
    #: She chose the voicemail (key 2), or reached the longest wait and went on to the office/voicemail.
    VOICEMAIL = "voicemail"
    CALLED_BACK = "called_back"
    FAILED = "failed"


#: States of an entry still in the queue.
OPEN_STATES = (QueueState.WAITING, QueueState.OFFERED)


class QueueEntry(Base):
    """One caller in the queue (one entry per call: a call-back keeps the entry and so its place)."""

    __tablename__ = "queue_entries"
    __table_args__ = (
        Index("ix_queue_entries_state_order", "state", "urgency_rank", "entered_at"),
        # A coordinator is offered one waiting caller at a time, across every instance.
        Index("uq_queue_entries_offered_to", "offered_to", unique=True,
              sqlite_where=text("state = 'offered'"), postgresql_where=text("state = 'offered'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    #: 0 for urgency "now", 1 for everything else (routing.queue.urgency_rank): lower goes first.
    urgency_rank: Mapped[int] = mapped_column(Integer)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[QueueKind] = mapped_column(value_enum(QueueKind, 12))
    state: Mapped[QueueState] = mapped_column(value_enum(QueueState, 12))
    #: The coordinator (E.164) being rung for her while `offered`; the last one after.
    offered_to: Mapped[str | None] = mapped_column(String(16), nullable=True)
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: A coordinator who did not take her (declined at screening, no answer), and when: not offered her again at once.
    declined_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: entered_at + QUEUE_MAX_WAIT_MINUTES: a caller on the line still waiting then goes to the office/voicemail.
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime())
    announced_position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Call-back attempts made (the "callback" part of the queue).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    #: A call-back that missed the family waits for its second attempt until then (routing.queue_callbacks).
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

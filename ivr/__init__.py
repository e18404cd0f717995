"""The voice menu as data (prompt files per language) and pure step functions."""

from ivr.menu import (
    Advance,
    Ask,
    Connect,
    ConnectReason,
    Line,
    Question,
    Step,
    advance,
    first_ask,
    question,
)
from ivr.prompts import (
    LANGUAGES,
    PromptError,
    Prompts,
    Utterance,
    find_prompt_problems,
    find_unreviewed,
    load_prompts,
)
from ivr.summary import describe_case

__all__ = [
    "LANGUAGES",
    "Advance",
    "Ask",
    "Connect",
    "ConnectReason",
    "Line",
    "PromptError",
    "Prompts",
    "Question",
    "Step",
    "Utterance",
    "advance",
    "describe_case",
    "find_prompt_problems",
    "find_unreviewed",
    "first_ask",
    "load_prompts",
    "question",
]

"""Messages panes post upward. Panes never reach into a sibling; the main screen routes.

Kept free of heavy imports: domain types only under ``TYPE_CHECKING``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from collections.abc import Callable

    from animetui.models import Credits, ImageSource, Job


@dataclass
class SourceChanged(Message):
    """The Files pane's chosen source changed (highlighted file, or a typed path/URL)."""

    source: "ImageSource | None"


@dataclass
class LookupRequested(Message):
    """Run a lookup on ``source``: kinds ⊆ {"scene", "characters"}."""

    source: "ImageSource"
    kinds: tuple[str, ...]
    refresh: bool = False  # ignore the history (a request and a new history row)


@dataclass
class ServicesReady(Message):
    """Providers and the job runner exist (built after the first frame)."""


@dataclass
class JobChanged(Message):
    """The job runner reported a job (new or changed)."""

    job: "Job"

    def can_replace(self, message: Message) -> bool:  # a flood of updates keeps the latest per job
        return isinstance(message, JobChanged) and message.job.id == self.job.id


@dataclass
class CreditsChanged(Message):
    """What is left at one provider (header)."""

    credits: "Credits"


@dataclass
class DetectionHighlighted(Message):
    """The cursor in the detections list moved to detection ``number`` (1-based), or None."""

    number: int | None


@dataclass
class LookupFinished(Message):
    """A lookup section (``scene`` or ``characters``) got an answer (the header refreshes credits)."""

    kind: str
    providers: tuple[str, ...] = ()  # the providers that answered


@dataclass
class JobRetryRequested(Message):
    """The Jobs pane wants ``job`` started again: a new job that costs again. The jobs flow checks
    the key and asks about the cost; ``proceed`` starts it."""

    job: "Job"
    proceed: "Callable[[], object]"

"""Durable paid jobs (text-to-image, photo-to-anime, …): a generic journal-first runner, and one
module per kind of job.

**Add a job kind.** Write ``animetui/jobs/<kind>.py`` with a class following
:class:`animetui.jobs.kind.Kind` — ``validate`` its parameters, ``drive`` a job through
``SUBMITTING``/``RUNNING``/``DOWNLOADING`` with the :class:`~animetui.jobs.kind.JobContext` the
runner lends it, ``settle`` a job found half-way after a restart, and its words (``title``,
``label``, ``short``, ``headline``, ``describe``, ``cancel_text``, ``cost_text``, ``file_slug``) —
and add it to the built-in list in ``animetui/jobs/kinds.py`` (or call
``kinds.register(MyKind())``). Its provider implements the capability protocol for the work and
:class:`animetui.providers.base.PaidWork` (price, safe to resubmit, rate-limit wait). Submit with
``runner.submit("<kind>", params)``; the runner, the journal, the Jobs pane (list, detail, retry
question, toasts) and ``animetui jobs`` need no edit. Tests: ``tests/test_job_kinds.py`` shows a
dummy kind end to end, ``tests/ui/test_job_kinds_ui.py`` its retry question in the TUI. What
still names a kind: whatever *starts* one — the command (``animetui generate``), the key and dialog
(``g``), and the runner's ``submit_generate``/``submit_cartoonize`` conveniences for those — so a new
kind adds its own command or dialog if it wants one.

The modules:

* :mod:`~animetui.jobs.runner` — :class:`JobRunner`: the journal-first lifecycle, restarts, stop,
  cancel/retry/delete, subscribers; no kind-specific code.
* :mod:`~animetui.jobs.lock` and :mod:`~animetui.jobs.sharing` — several processes on one journal:
  the ownership lock, adopting a dead runner's jobs, seeing other processes' writes.
* :mod:`~animetui.jobs.files` — result files: naming, sniffing the format, the download.
* :mod:`~animetui.jobs.kind` (the protocol), :mod:`~animetui.jobs.kinds` (the registry),
  :mod:`~animetui.jobs.generate` (AnimeAPI), :mod:`~animetui.jobs.cartoonize` (AILabTools).

Nothing here imports Textual; httpx only reaches it through the providers.
"""

from __future__ import annotations

from animetui import net  # noqa: F401 - tests patch ``animetui.jobs.net.download`` (the same module)
from animetui.jobs.cartoonize import EXPIRED_TEXT, RESULT_LIFETIME
from animetui.jobs.files import NOT_AN_IMAGE_TEXT
from animetui.jobs.kind import MAX_REQUEUES, JobContext, Kind
from animetui.jobs.kinds import describe, find, kind_of, register, subject, unregister
from animetui.jobs.runner import (
    DEFAULT_POLL_INTERVAL,
    DOWNLOAD_SLOTS,
    POLL_SLOTS,
    STOP_GRACE,
    SUBMIT_SLOTS,
    JobRunner,
)

__all__ = [
    "DEFAULT_POLL_INTERVAL",
    "DOWNLOAD_SLOTS",
    "EXPIRED_TEXT",
    "MAX_REQUEUES",
    "NOT_AN_IMAGE_TEXT",
    "POLL_SLOTS",
    "RESULT_LIFETIME",
    "STOP_GRACE",
    "SUBMIT_SLOTS",
    "JobContext",
    "JobRunner",
    "Kind",
    "describe",
    "find",
    "kind_of",
    "register",
    "subject",
    "unregister",
]

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
question, toasts) and ``animetui jobs`` need no edit. Tests: ``tests/jobs/test_kinds.py`` shows a
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

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from animetui import net
    from animetui.jobs.cartoonize import EXPIRED_TEXT, RESULT_LIFETIME
    from animetui.jobs.files import NOT_AN_IMAGE_TEXT
    from animetui.jobs.kind import MAX_REQUEUES, JobContext, Kind
    from animetui.jobs.kinds import describe, find, kind_of, register, subject, unregister
    from animetui.jobs.runner import DEFAULT_POLL_INTERVAL, DOWNLOAD_SLOTS, POLL_SLOTS, STOP_GRACE, SUBMIT_SLOTS, JobRunner

#: name → the module it lives in. Imported when first asked (PEP 562), so that the Jobs pane can
#: read a kind's words (``animetui.jobs.kinds``) before the first frame without importing the
#: runner and, through it, httpx.
_WHERE = {
    "net": "animetui.net",  # tests patch ``animetui.jobs.net.download``: the same module
    "EXPIRED_TEXT": "animetui.jobs.cartoonize",
    "RESULT_LIFETIME": "animetui.jobs.cartoonize",
    "NOT_AN_IMAGE_TEXT": "animetui.jobs.files",
    "MAX_REQUEUES": "animetui.jobs.kind",
    "JobContext": "animetui.jobs.kind",
    "Kind": "animetui.jobs.kind",
    **dict.fromkeys(("describe", "find", "kind_of", "register", "subject", "unregister"), "animetui.jobs.kinds"),
    **dict.fromkeys(
        ("DEFAULT_POLL_INTERVAL", "DOWNLOAD_SLOTS", "POLL_SLOTS", "STOP_GRACE", "SUBMIT_SLOTS", "JobRunner"),
        "animetui.jobs.runner",
    ),
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'animetui.jobs' has no attribute {name!r}")
    module = importlib.import_module(where)
    return module if name == "net" else getattr(module, name)

"""Paid jobs from the TUI: ``g`` text-to-image (AnimeAPI), ``a`` photo-to-anime (AILabTools), a
retry from the Jobs pane, and the notice when a job ends.

Each new job goes through the key check and the cost question (:mod:`animetui.ui.flows.costs`)
before it is submitted; the runner journals it before sending anything (``animetui.jobs``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from animetui.ui.flows import Flow

if TYPE_CHECKING:
    from animetui.models import GenerateRequest, Job


class JobFlow(Flow):
    # ------------------------------------------------------------------ new jobs
    def generate(self) -> None:
        from animetui.ui.screens.generate import GenerateScreen

        costs = self.main.flows.costs
        if not costs.after_start("Text-to-image", self.generate) or not costs.require_key("animeapi", "Text-to-image"):
            return
        settings = self.app.settings
        runner = self.app.runner
        balance = getattr(runner, "last_balance_usd", None) if runner is not None else None
        screen = GenerateScreen(
            orientation=str(settings.get("providers.animeapi.orientation", "portrait")),
            allow_nsfw=bool(settings.get("providers.animeapi.allow_nsfw", False)),
            enhance=bool(settings.get("providers.animeapi.enhance", True)),
            balance_usd=balance,
        )
        self.app.push_screen(screen, self._generate_chosen)

    def _generate_chosen(self, request: "GenerateRequest | None") -> None:
        if request is not None:
            costs = self.main.flows.costs
            costs.confirm("Generate an image?", costs.generate(), lambda: self._submit("generate", request), yes="Generate")

    def cartoonize(self) -> None:
        from animetui.ui.screens.cartoonize import CartoonizeScreen

        source = self.main.files_pane.source
        if source is None:
            self.app.notify("Highlight an image in Files first: it is the photo to convert.", title="No image chosen", severity="warning")
            return
        if source.path is None:
            self.app.notify(
                "Photo-to-anime needs a local file; save the image and open it from Files.",
                title="Not a local file",
                severity="warning",
            )
            return
        costs = self.main.flows.costs
        if not costs.after_start("Photo-to-anime", self.cartoonize) or not costs.require_key("ailab", "Photo-to-anime"):
            return
        style = int(self.app.settings.get("providers.ailab.style", 0) or 0)
        path = source.path
        self.app.push_screen(CartoonizeScreen(path, style=style), lambda chosen: self._cartoon_chosen(path, chosen))

    def _cartoon_chosen(self, path: Path, style: int | None) -> None:
        if style is not None:
            costs = self.main.flows.costs
            costs.confirm("Convert this photo?", costs.cartoonize(), lambda: self._submit("cartoonize", (path, style)), yes="Convert")

    def _submit(self, kind: str, payload: Any) -> None:
        self.app.run_worker(self._submitted(kind, payload), group="submit", exit_on_error=False)

    async def _submitted(self, kind: str, payload: Any) -> None:
        from animetui.errors import AnimetuiError

        try:
            services = await self.app.services()
            if kind == "generate":
                job = await services.runner.submit_generate(payload)
                what = "Text-to-image job queued"
            else:
                path, style = payload
                job = await services.runner.submit_cartoonize(path, style)
                what = "Photo-to-anime job queued"
        except AnimetuiError as exc:
            self.app.notify(str(exc), title="Job not started", severity="error", markup=False)
            return
        self.app.notify(f"{what} ({job.id[:8]}); watch it in Jobs (4).", title="Job started", timeout=4)

    def retry(self, job: "Job", proceed: Any) -> None:
        """Start ``job`` again (a new job that costs again): its kind's key check and cost question."""
        from animetui.jobs.kinds import kind_of

        kind = kind_of(job)
        if getattr(kind, "paid", True) is False:  # free work on this computer (the library's indexing)
            proceed()
            return
        costs = self.main.flows.costs
        if costs.require_key(kind.provider, kind.title):
            costs.confirm(kind.retry_title, costs.job(kind), proceed, yes=kind.retry_yes)

    # ------------------------------------------------------------------ reports
    def changed(self, job: "Job") -> None:
        """The runner reported ``job``: the Jobs pane shows it; a job that just ended is announced."""
        from animetui.jobs import describe
        from animetui.providers.spec import CARTOONIZE, GENERATE
        from animetui.providers.specs import capable

        app = self.app
        runner = app.runner
        deleted = runner is not None and runner.get(job.id) is None
        previous = self.main.jobs_pane.update_job(job, deleted=deleted)
        if deleted or previous is None or previous.state.terminal or not job.state.terminal:
            return
        cancelled = job.state.value == "cancelled"
        severity = "information" if job.state.value == "succeeded" or cancelled else "error"
        app.notify(describe(job), title="Job cancelled" if cancelled else "Job finished", severity=severity, markup=False)
        if app.settings.get("general.bell", False):
            app.bell()
        self.main.flows.accounts.refresh_credits(tuple(s.name for s in (*capable(GENERATE), *capable(CARTOONIZE))))

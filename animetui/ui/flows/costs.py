"""The key check and the cost question before a paid action (``general.confirm_paid``, default on).

A job's cost line is its kind's words (``Kind.cost_text``: text-to-image $0.009 an image at
AnimeAPI, photo-to-anime 1 AILabTools credit) with the balance and credits last seen; a scene
search asks once today's free whatanimeisthis credits are known to be used (signed in: the credits
endpoint says how many free ones are left; with only an API key the free count is unknown, so no
question is asked).

Before start-up has built the services (a first run writes its samples and data dir first) the
keys are not known yet: a paid action pressed then says it is still starting and opens once the
services are up (:meth:`CostQuestions.after_start`), instead of "needs an API key".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from animetui.ui.flows import Flow

if TYPE_CHECKING:
    from animetui.jobs.kind import Kind

CONFIRM_HINT = "Turn this question off with general.confirm_paid = false in Settings (,)."


class CostQuestions(Flow):
    def __init__(self, main: Any) -> None:
        super().__init__(main)
        self._waiting: set[str] = set()  # features pressed while starting, to open once ready

    def after_start(self, feature: str, action: Callable[[], Any]) -> bool:
        """True when the services are up (go on now); otherwise say so and run ``action`` once they are."""
        if self.app.runner is not None:
            return True
        waiting = self._waiting
        if feature in waiting:  # pressed again while starting: it opens once, when ready
            return False
        waiting.add(feature)
        self.app.notify(f"Still starting: {feature} opens once the services are up.", title="Starting…", timeout=4, markup=False)

        async def wait() -> None:
            from animetui.errors import AnimetuiError

            try:
                await self.app.services()
            except AnimetuiError as exc:
                self.app.notify(f"{feature}: {exc}", title="Cannot start", severity="error", markup=False)
                return
            finally:
                waiting.discard(feature)
            action()

        self.app.run_worker(wait(), group="after-start", exit_on_error=False)
        return False

    def require_key(self, name: str, feature: str) -> bool:
        """True if ``name`` has a key; otherwise say how to set one (nothing else happens)."""
        if self.main.flows.accounts.has_key(name):
            return True
        self.app.notify(
            f"{feature} needs an API key: set providers.{name}.api_key in Settings (press ,).",
            title="No API key",
            severity="warning",
            timeout=8,
            markup=False,
        )
        return False

    def confirm(self, title: str, message: str, proceed: Callable[[], Any], *, yes: str = "Pay") -> None:
        """Run ``proceed`` after the user agreed to the cost (or at once if general.confirm_paid is off)."""
        from animetui.ui.screens.confirm import ConfirmScreen

        app = self.app
        if not app.settings.get("general.confirm_paid", True):
            proceed()
            return

        def answered(agreed: bool | None) -> None:
            if agreed:
                proceed()
            else:
                app.notify("Cancelled; nothing was charged.", title=title, timeout=3)

        app.push_screen(ConfirmScreen(title, f"{message}\n\n{CONFIRM_HINT}", yes=yes, no="Cancel"), answered)

    async def ask(self, title: str, message: str, *, yes: str = "Pay") -> bool:
        """:meth:`confirm` as an answer to wait for (a lookup that is already running, e.g. once
        the library had no likely match). Cancelled meanwhile: the question goes away."""
        import asyncio

        from animetui.ui.screens.confirm import ConfirmScreen

        app = self.app
        if not app.settings.get("general.confirm_paid", True):
            return True
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def answered(agreed: bool | None) -> None:
            if not answer.done():
                answer.set_result(bool(agreed))

        screen = ConfirmScreen(title, f"{message}\n\n{CONFIRM_HINT}", yes=yes, no="Cancel")
        app.push_screen(screen, answered)
        try:
            agreed = await answer
        except asyncio.CancelledError:
            if screen.is_attached and app.screen is screen:
                screen.dismiss(False)
            raise
        if not agreed:
            app.notify("Cancelled; nothing was charged.", title=title, timeout=3)
        return agreed

    def job(self, kind: "Kind") -> str:
        """The cost line asked before a job of ``kind`` starts (its words; the balance and credits seen)."""
        runner = self.app.runner
        balance = getattr(runner, "last_balance_usd", None) if runner is not None else None
        seen = self.main.flows.accounts.seen.get(kind.provider)
        return kind.cost_text(balance_usd=balance, credits_left=seen.remaining if seen is not None else None)

    def generate(self) -> str:
        from animetui.jobs.kinds import kind_of

        return self.job(kind_of("generate"))

    def cartoonize(self) -> str:
        from animetui.jobs.kinds import kind_of

        return self.job(kind_of("cartoonize"))

    def scene(self, engines: tuple[str, ...] = ("whatanime",)) -> str | None:
        """The cost line for a scene search asking ``engines``, or None when it is free (or its cost is unknown)."""
        if "whatanime" not in engines:  # trace.moe (and a local library) never charge per search
            return None
        seen = self.main.flows.accounts.seen.get("whatanime")
        runtime = self.app.runtime
        if seen is None or seen.free is None or runtime is None or runtime.providers.whatanime.session is None:
            return None
        if seen.free > 0 or not seen.remaining:
            return None  # free credits left; or nothing at all left (the search is refused, not charged)
        return (
            f"Today's free searches are used up: this scene search costs 1 paid whatanimeisthis credit "
            f"({seen.remaining:,.0f} left). An image already looked up is answered from history for free."
        )

"""The key check and the cost question before a paid action (``general.confirm_paid``, default on).

Text-to-image costs $0.009 an image (AnimeAPI), photo-to-anime 1 AILabTools credit, and a scene
search asks once today's free whatanimeisthis credits are known to be used (signed in: the credits
endpoint says how many free ones are left; with only an API key the free count is unknown, so no
question is asked). Assumption: the AILabTools price of one conversion is 1 credit (the docs list
credits per call but no number for this API); AnimeAPI's $0.009 is documented.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from animetui.ui.flows import Flow

GENERATE_COST_USD = 0.009  # AnimeAPI docs: $0.009 per image (animetui.providers.animeapi.COST_USD)
CARTOONIZE_COST_CREDITS = 1
CONFIRM_HINT = "Turn this question off with general.confirm_paid = false in Settings (,)."


class CostQuestions(Flow):
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

    def generate(self) -> str:
        runner = self.app.runner
        balance = getattr(runner, "last_balance_usd", None) if runner is not None else None
        text = f"This image costs ${GENERATE_COST_USD:.3f}, charged to your AnimeAPI balance"
        if balance is not None:
            text += f" (${balance:,.2f} as of the last image: about {int(balance / GENERATE_COST_USD + 1e-9):,} images)"
        return text + "."

    def cartoonize(self) -> str:
        text = f"Converting this photo costs {CARTOONIZE_COST_CREDITS} AILabTools credit"
        seen = self.main.flows.accounts.seen.get("ailab")
        if seen is not None and seen.remaining is not None:
            text += f" ({seen.remaining:,.0f} left)"
        return text + "."

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

"""Rankings pane: the most searched anime by period, and the public recent searches as a tab.

* Rankings: ``p``/``P`` cycle the period (daily … all), ``l`` the limit (10/25/50/100), ``n`` the
  NSFW toggle (off by default; the provider also filters adult titles out client-side). The
  control line is clickable too (◂ period ▸ · top N · NSFW).
* Recent: pages of 20 (offset paging); moving the cursor onto the last row loads the next page,
  until a page comes back short (the end).

Both load in exclusive workers (a newer request cancels the older) once the services exist, and
errors become a notification plus a readable line in the tab. Titles come from the server: cells
are ``rich.text.Text``, never markup.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from animetui.config import PERIODS, RANK_LIMITS
from animetui.ui.bindings import bindings
from animetui.ui.format import ago, one_line, percent
from animetui.ui.panes.base import Pane
from animetui.ui.services import services_of
from animetui.ui.widgets.fitted_table import FittedTable, ellipsis_text
from animetui.ui.widgets.row_detail import RowDetail

if TYPE_CHECKING:
    from animetui.models import Ranking, RecentSearch

LIMITS = RANK_LIMITS
RECENT_PAGE = 20


class RankControls(Static):
    """``◂ weekly ▸  top 25  NSFW off``: each part is clickable (keys: p/P, l, n)."""

    def show(self, period: str, limit: int, adult: bool) -> None:
        # markup built from our own words only (no server text)
        self.update(
            f"[@click=prev_period]◂[/] [b][@click=next_period]{period}[/][/] [@click=next_period]▸[/]"
            f"  [@click=limit]top {limit}[/]"
            f"  [@click=nsfw]NSFW {'[b]on[/b]' if adult else 'off'}[/]"
        )

    def action_prev_period(self) -> None:
        self._pane().action_cycle_period(-1)

    def action_next_period(self) -> None:
        self._pane().action_cycle_period(1)

    def action_limit(self) -> None:
        self._pane().action_cycle_limit()

    def action_nsfw(self) -> None:
        self._pane().action_toggle_nsfw()

    def _pane(self) -> "RankingsPane":
        return self.query_ancestor(RankingsPane)


class RankingsPane(Pane):
    TITLE = "Rankings"
    KEY = "3"
    BINDINGS = bindings("rankings")

    def __init__(
        self,
        *,
        period: str = "weekly",
        limit: int = 25,
        include_adult: bool = False,
        clock: Any = None,
        id: str | None = "rankings",
    ) -> None:
        super().__init__(id=id)
        self._period = period if period in PERIODS else "weekly"
        self._limit = limit if limit in LIMITS else 25
        self._adult = include_adult
        self._clock = clock
        self.rankings: list[Ranking] = []
        self.recent: list[RecentSearch] = []
        self.recent_done = False
        self.recent_loading = False
        self._ready = False
        self._recent_requested = False

    def compose(self) -> ComposeResult:
        with TabbedContent(id="rank-tabs", initial="tab-rankings"):
            with TabPane("Rankings", id="tab-rankings"):
                yield RankControls("", id="rank-controls", classes="section-title")
                yield Static("", id="rank-status", classes="status-line")
                yield FittedTable(id="rankings-table", cursor_type="row", zebra_stripes=True, flex="title")
                yield RowDetail(id="rank-detail")
            with TabPane("Recent", id="tab-recent"):
                yield Static("", id="recent-status", classes="section-title")
                yield FittedTable(id="recent-table", cursor_type="row", zebra_stripes=True, flex="title")
                yield RowDetail(id="recent-detail")

    def on_mount(self) -> None:
        ranks = self.query_one("#rankings-table", DataTable)
        ranks.add_column("#", key="rank", width=3)
        ranks.add_column("Searches", key="searches")
        ranks.add_column("Title", key="title")
        recent = self.query_one("#recent-table", DataTable)
        recent.add_column("When", key="when", width=8)
        recent.add_column("Sim", key="sim")
        recent.add_column("Ep", key="ep")
        recent.add_column("Title", key="title")
        self._show_controls()
        self._status("#rank-status", Text("waiting for the services…", style="italic"))
        self._status("#recent-status", Text("opens on first view", style="italic"))

    # ------------------------------------------------------------------ state
    @property
    def period(self) -> str:
        return self._period

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def include_adult(self) -> bool:
        return self._adult

    @property
    def active_tab(self) -> str:
        return self.query_one("#rank-tabs", TabbedContent).active

    def focus_default(self) -> None:
        table_id = "#recent-table" if self.active_tab == "tab-recent" else "#rankings-table"
        self.query_one(table_id, DataTable).focus()

    def services_ready(self) -> None:
        """Called by the app once providers exist: load what is on screen."""
        self._ready = True
        self.load_rankings()
        if self.active_tab == "tab-recent":
            self.load_recent(reset=True)

    # ------------------------------------------------------------------ rankings
    def load_rankings(self) -> None:
        if self._ready:
            self._load_rankings(self._period, self._limit, self._adult)

    @work(exclusive=True, group="rankings", exit_on_error=False)
    async def _load_rankings(self, period: str, limit: int, adult: bool) -> None:
        from animetui.errors import AnimetuiError

        table = self.query_one("#rankings-table", DataTable)
        table.loading = True
        self._status("#rank-status", Text(f"loading {period} rankings…", style="italic"))
        try:
            services = await services_of(self)
            rankings = await services.providers.whatanime.rankings(period=period, limit=limit, include_adult=adult)
        except AnimetuiError as exc:
            self._fail("#rank-status", "Rankings", str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - never a traceback on screen
            self.log.error(f"rankings failed: {exc!r}")
            self._fail("#rank-status", "Rankings", f"unexpected error ({type(exc).__name__})")
            return
        finally:
            table.loading = False
        self.rankings = rankings
        table.clear()
        for item in rankings:
            title = ellipsis_text(one_line(item.title, 160) or "?")
            if item.adult:
                title.append(" 18+", style="bold")
            table.add_row(
                Text(str(item.rank), style="dim"),
                Text("—" if item.searches is None else f"{item.searches:,}", justify="right"),
                title,
                key=f"r{item.rank}-{len(table.rows)}",
            )
        self._status("#rank-status", None if rankings else Text(f"{period}: nothing ranked yet", style="italic"))
        self._show_rank_detail(table.cursor_row)

    @on(DataTable.RowHighlighted, "#rankings-table")
    def _rank_row(self, event: DataTable.RowHighlighted) -> None:
        self._show_rank_detail(event.cursor_row)

    def _show_rank_detail(self, row: int) -> None:
        """The highlighted title in full (the table cuts it to the pane's width)."""
        detail = self.query_one("#rank-detail", RowDetail)
        if not 0 <= row < len(self.rankings):
            detail.show(None)
            return
        item = self.rankings[row]
        text = Text(f"#{item.rank} ", style="dim")
        text.append(one_line(item.title, 300) or "?", style="bold")
        if item.adult:
            text.append(" (18+)")
        if item.searches is not None:
            text.append(f" · {item.searches:,} searches", style="dim")
        detail.show(text)

    def _show_recent_detail(self, row: int) -> None:
        detail = self.query_one("#recent-detail", RowDetail)
        if not 0 <= row < len(self.recent):
            detail.show(None)
            return
        item = self.recent[row]
        text = Text(one_line(item.title, 300) or "?", style="bold")
        facts = [f"episode {one_line(item.episode, 40)}" if item.episode else "",
                 percent(item.similarity) if item.similarity is not None else "",
                 one_line(item.searched_at, 40) if item.searched_at else ""]
        text.append("".join(f" · {fact}" for fact in facts if fact), style="dim")
        detail.show(text)

    # ------------------------------------------------------------------ recent searches
    def load_recent(self, *, reset: bool = False) -> None:
        if not self._ready:
            return
        if reset:
            self.recent = []
            self.recent_done = False
            self.query_one("#recent-table", DataTable).clear()
            self._show_recent_detail(-1)
        if self.recent_done:
            return
        self.recent_loading = True
        self._load_recent(len(self.recent))

    @work(exclusive=True, group="recent", exit_on_error=False)
    async def _load_recent(self, offset: int) -> None:
        from animetui.errors import AnimetuiError

        table = self.query_one("#recent-table", DataTable)
        self._status("#recent-status", Text("loading…" if offset == 0 else f"loading more (from {offset + 1})…", style="italic"))
        if offset == 0:
            table.loading = True
        try:
            services = await services_of(self)
            page = await services.providers.whatanime.recent_searches(limit=RECENT_PAGE, offset=offset)
        except AnimetuiError as exc:
            self._fail("#recent-status", "Recent searches", str(exc))
            return
        except Exception as exc:  # noqa: BLE001
            self.log.error(f"recent searches failed: {exc!r}")
            self._fail("#recent-status", "Recent searches", f"unexpected error ({type(exc).__name__})")
            return
        finally:
            table.loading = False
            self.recent_loading = False
        if offset != len(self.recent):  # a reset happened meanwhile
            return
        self.recent.extend(page)
        self.recent_done = len(page) < RECENT_PAGE
        now = self._clock() if self._clock is not None else time.time()
        warning = self.app.theme_variables.get("warning", "yellow")
        for index, item in enumerate(page, start=offset):
            low = item.similarity is not None and item.similarity < 0.9
            table.add_row(
                Text(ago(item.searched_at, now), style="dim"),
                Text(percent(item.similarity), style=warning if low else "", justify="right"),
                Text(one_line(item.episode or "—", 12)),
                ellipsis_text(one_line(item.title, 160) or "?"),
                key=f"s{index}",
            )
        count = len(self.recent)
        if self.recent_done:
            status = Text(f"all {count} loaded" if count else "no recent searches")
        else:
            status = Text(f"{count} loaded · more load at the end of the list")
        self._status("#recent-status", status)
        self._show_recent_detail(table.cursor_row)

    @on(DataTable.RowHighlighted, "#recent-table")
    def _recent_row(self, event: DataTable.RowHighlighted) -> None:
        self._show_recent_detail(event.cursor_row)
        if (
            event.cursor_row >= event.data_table.row_count - 1
            and not self.recent_done
            and not self.recent_loading
            and self.recent
        ):
            self.load_recent()

    @on(TabbedContent.TabActivated, "#rank-tabs")
    def _tab_changed(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "tab-recent" and not self.recent and not self.recent_loading:
            self.load_recent(reset=True)

    # ------------------------------------------------------------------ controls
    def _show_controls(self) -> None:
        self.query_one("#rank-controls", RankControls).show(self._period, self._limit, self._adult)

    def _changed(self) -> None:
        from animetui.ui.remember import remember

        # the next start opens on the same view
        remember(self.app, {"rankings.period": self._period, "rankings.limit": self._limit, "providers.whatanime.include_adult": self._adult})
        self._show_rankings_tab()
        self._show_controls()
        self.load_rankings()

    # ------------------------------------------------------------------ actions
    def action_cycle_period(self, step: int = 1) -> None:
        self._period = PERIODS[(PERIODS.index(self._period) + step) % len(PERIODS)]
        self._changed()

    def action_cycle_limit(self) -> None:
        self._limit = LIMITS[(LIMITS.index(self._limit) + 1) % len(LIMITS)]
        self._changed()

    def action_toggle_nsfw(self) -> None:
        self._adult = not self._adult
        self._changed()

    def action_toggle_tab(self) -> None:
        tabs = self.query_one("#rank-tabs", TabbedContent)
        tabs.active = "tab-recent" if tabs.active == "tab-rankings" else "tab-rankings"
        self.focus_default()

    def action_reload(self) -> None:
        if self.active_tab == "tab-recent":
            self.load_recent(reset=True)
        else:
            self.load_rankings()

    def action_copy(self) -> None:
        items: Sequence[Ranking | RecentSearch]
        if self.active_tab == "tab-recent":
            table, items = self.query_one("#recent-table", DataTable), self.recent
        else:
            table, items = self.query_one("#rankings-table", DataTable), self.rankings
        row = table.cursor_row
        if not items or not 0 <= row < len(items):
            self.app.notify("Nothing selected to copy.", timeout=2)
            return
        title = one_line(items[row].title, 300)
        from animetui.ui.clipboard import copy

        copy(self.app, title)

    # ------------------------------------------------------------------ helpers
    def _show_rankings_tab(self) -> None:
        tabs = self.query_one("#rank-tabs", TabbedContent)
        if tabs.active != "tab-rankings":
            had_focus = self.has_focus_within
            tabs.active = "tab-rankings"
            if had_focus:  # the Recent table is hidden now: the focus follows to the Rankings table
                self.focus_default()

    def _status(self, selector: str, text: Text | None) -> None:
        """Show a status line; ``None`` hides it (the rankings tab keeps its rows for data)."""
        line = self.query_one(selector, Static)
        line.update(text or "")
        line.display = text is not None

    def _fail(self, selector: str, what: str, message: str) -> None:
        error = self.app.theme_variables.get("error", "red")
        self._status(selector, Text(f"✗ {one_line(message, 300)}", style=error))
        self.app.notify(message, title=f"{what} failed", severity="error", markup=False)

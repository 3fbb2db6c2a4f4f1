"""The characters found in a picture: one numbered entry per detection, candidates under it.

Each number is drawn in its box's colour (``animetui.pictures.imaging.box_colour``), so the list and the
boxes on the picture match even where the picture is too coarse for printed labels. Low-confidence
detections are marked with ``?`` and a note. Every name comes from a server: entries are
``rich.text.Text`` built from plain strings, never markup.
"""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widget import Widget
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from animetui.models import CharacterResult, Detection
from animetui.pictures.imaging import box_colour_hex
from animetui.ui.format import one_line
from animetui.ui.messages import DetectionHighlighted
from animetui.ui.widgets.loading import LineLoadingIndicator
from animetui.ui.widgets.restyle import RestyleMemo

MAX_CANDIDATES = 4


def candidate_line(character: str, work: str) -> str:
    character = one_line(character, 80) or "?"
    work = one_line(work, 80)
    return f"{character} — {work}" if work else character


def detection_prompt(number: int, detection: Detection, width: int | None = None) -> Text:
    """The entry for detection ``number``; every line cut to ``width`` cells (no wrapping)."""
    first = Text()
    marker = f"{number}?" if detection.not_confident else f"{number}"
    first.append(f" {marker:<3}", style=f"bold #000000 on {box_colour_hex(number)}")
    first.append(" ")
    candidates = detection.candidates[:MAX_CANDIDATES]
    if not candidates:
        first.append("no candidate", style="italic")
    else:
        best = candidates[0]
        first.append(candidate_line(best.character, best.work), style="bold")
    lines = [first]
    for candidate in candidates[1:]:
        line = Text("     ")
        line.append(candidate_line(candidate.character, candidate.work), style="dim")
        lines.append(line)
    if detection.not_confident:
        lines.append(Text.assemble("     ", ("? not confident", "italic")))
    extra = len(detection.candidates) - len(candidates)
    if extra > 0:
        lines.append(Text.assemble("     ", (f"… {extra} more", "dim italic")))
    if width is not None and width > 4:
        for line in lines:
            line.truncate(width, overflow="ellipsis")
    return Text("\n").join(lines)


class DetectionList(RestyleMemo, OptionList):
    """Numbered detections; posts :class:`DetectionHighlighted` as the cursor moves.

    Lines are cut to the width at fill time; the vertical scrollbar's column is always kept
    (``scrollbar-gutter: stable``) so that width does not depend on whether the entries overflow
    yet (a fill before the scrollbar appeared came out one column wider, depending on timing).
    """

    DEFAULT_CSS = """
    DetectionList { scrollbar-gutter: stable; }
    """

    # Filling the list (a lookup's results, or clearing them when the next starts) sets the
    # content's size, and ``Widget.virtual_size`` is a layout reactive: each fill laid the whole
    # screen out (~5 ms at 160x48 on a slow core, tests/benchmarks/bench_stall.py --explain:
    # ``refresh(layout) DetectionList#detections``). The list's box never depends on its content
    # (``height: 1fr``, not ``auto``; OptionList asks for a layout itself when it is auto), and a
    # change in whether the scrollbar shows still lays out (``show_vertical_scrollbar`` and the
    # scrollbar's ``display`` are layout reactives, set by the ``_scroll_update`` OptionList runs
    # after each change); scrolling reads ``virtual_size`` directly.
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.result: CharacterResult | None = None

    def get_loading_widget(self) -> Widget:
        return LineLoadingIndicator()  # animates by repainting one line, not the list's height

    def show_result(self, result: CharacterResult | None) -> None:
        self.result = result
        self._fill(highlight=0)

    def _line_width(self) -> int | None:
        width = self.scrollable_content_region.width
        return width - 1 if width > 0 else None

    def _fill(self, highlight: int | None) -> None:
        self._filled_width = self._line_width()
        self.clear_options()
        result = self.result
        if result is None:
            return
        self.add_options(
            Option(detection_prompt(index + 1, detection, self._filled_width), id=f"det-{index + 1}")
            for index, detection in enumerate(result.detections)
        )
        if result.detections and highlight is not None:
            self.highlighted = min(highlight, len(result.detections) - 1)

    def on_resize(self) -> None:
        if self.result is not None and self._line_width() != getattr(self, "_filled_width", None):
            self._fill(highlight=self.highlighted)

    @property
    def selected_number(self) -> int | None:
        if self.result is None or self.highlighted is None or not self.result.detections:
            return None
        return self.highlighted + 1

    @property
    def selected_detection(self) -> Detection | None:
        number = self.selected_number
        if number is None or self.result is None:
            return None
        return self.result.detections[number - 1]

    def watch_highlighted(self, highlighted: int | None) -> None:
        super().watch_highlighted(highlighted)
        self.post_message(DetectionHighlighted(None if highlighted is None else highlighted + 1))

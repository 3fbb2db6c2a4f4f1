"""Scene search over the engines (trace.moe, whatanimeisthis, both), and the URL preview in Files.

Written for issue 14's done-when: in demo mode with no key, ``s`` on a sample returns trace.moe
matches with a preview image, confidence labels and the hidden-NSFW line; and issue 11's: typing
an ``https://`` URL in Files shows the picture (it used to stay on "Fetching the picture…").
"""

from __future__ import annotations

from ui_helpers import highlight_file, look_up, settle, wait_for

from animetui.simulator.imagery import scene

SIZE = (160, 48)


def placeholder_text(view) -> str:  # noqa: ANN001
    return " ".join(str(s.render()) for s in view.query(".image-placeholder"))


def scene_title(app) -> str:  # noqa: ANN001
    return str(app.query_one("#scene-title").render())


async def test_demo_default_asks_both_engines_and_shows_trace_moe_previews(build_app, ui_settings):
    ui_settings.unset("general.scene_provider")  # the default a user gets: all
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await look_up(pilot, "beach", "s")
        pane = app.results_pane
        engines = {m.engine for m in pane.shown}
        assert engines == {"tracemoe", "whatanime"}, engines
        title = scene_title(app)
        assert "whatanimeisthis + trace.moe" in title
        # adult matches are hidden, and the user is told how many
        assert pane.hidden_adult >= 1 and not any(m.adult for m in pane.shown)
        assert f"{pane.hidden_adult} NSFW result" in title and "hidden" in title
        assert pane.scene_table.row_count == len(pane.shown)
        # every row carries its engine and a confidence label
        engine_cells = [str(pane.scene_table.row_cells(i)["engine"]) for i in range(pane.scene_table.row_count)]
        assert {"trace", "wait"} <= set(engine_cells)
        labels = {str(pane.scene_table.row_cells(i)["confidence"]) for i in range(pane.scene_table.row_count)}
        assert labels <= {"likely", "unsure", "wrong?"} and "likely" in labels
        # the best trace.moe match's preview came with the search: shown from disk, no request
        row = next(i for i, m in enumerate(pane.shown) if m.engine == "tracemoe" and m.preview_path)
        match = pane.shown[row]
        requests = len(app._services.hub.log)
        pane.scene_table.focus()
        pane.scene_table.move_cursor(row=row)
        await settle(pilot)
        assert pane.image.key == match.preview_path and pane.image.error is None
        assert pane.image.caption_text.startswith(f"match {row + 1}")
        assert len(app._services.hub.log) == requests, "the preview was not downloaded again"
        # n shows the adult ones
        await pilot.press("n")
        await settle(pilot)
        assert pane.scene_table.row_count == len(pane.scene.matches) and "hidden" not in scene_title(app)
        # l copies the AniList link of the highlighted match
        pane.scene_table.move_cursor(row=0)
        await pilot.press("l")
        first = pane.shown[0]
        assert first.anilist_id and app.clipboard == f"https://anilist.co/anime/{first.anilist_id}"


async def test_engine_key_switches_what_the_next_scene_search_asks(build_app, ui_hub):
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await highlight_file(pilot, "beach")
        pane = app.results_pane
        assert pane.engine_choice == "whatanime"  # the fixture's setting
        await pilot.press("e")
        assert pane.engine_choice == "tracemoe"
        assert any("Scene search asks: trace.moe" in (n.message or "") for n in app._notifications)
        await pilot.press("e")
        assert pane.engine_choice == "all"
        await pilot.press("e", "e")  # whatanime, then trace.moe again
        before = [r for r in ui_hub.requests_to("whatanime") if r.path == "/api/anime/search"]
        await pilot.press("s")
        await settle(pilot)
        assert pane.shown and {m.engine for m in pane.shown} == {"tracemoe"}
        assert [r for r in ui_hub.requests_to("whatanime") if r.path == "/api/anime/search"] == before
        assert any(r.path == "/search" for r in ui_hub.requests_to("tracemoe"))
        assert "(trace.moe)" in scene_title(app)


async def test_one_engine_failing_keeps_the_others_matches(build_app, ui_hub, ui_settings):
    ui_settings.set("general.scene_provider", "all")
    ui_hub.inject("whatanime", "server_error", times=None, path="/api/anime/search")
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await look_up(pilot, "beach", "s")
        pane = app.results_pane
        assert pane.shown and {m.engine for m in pane.shown} == {"tracemoe"}
        assert "whatanimeisthis" in pane.errors["scene"] and "Traceback" not in pane.errors["scene"]
        title = scene_title(app)
        assert "match" in title and "✗" in title
        assert any("Scene search failed" in (n.title or "") for n in app._notifications)


async def test_a_typed_url_shows_its_picture_in_files(build_app, ui_hub):
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        path = ui_hub.store_file(scene(320, 180, seed=4), "image/png", suffix=".png")
        url = f"https://pictures.example{path}"
        await pilot.press("1", "o", *url, "enter")
        await settle(pilot)
        files = app.files_pane
        assert files.source is not None and files.source.url == url
        await wait_for(pilot, lambda: files.preview.key == url, what="the URL's picture")
        assert files.preview.error is None and "Fetching" not in placeholder_text(files.preview)

        missing = "https://pictures.example/sim-files/no-such-picture.png"
        await pilot.press("o", *missing, "enter")
        await settle(pilot)
        text = placeholder_text(files.preview)
        assert "No preview" in text and "Fetching" not in text


async def test_the_paid_scene_question_is_only_asked_when_whatanimeisthis_is_asked(build_app, ui_hub):
    from animetui.simulator.whatanime import DEMO_EMAIL, DEMO_PASSWORD
    from animetui.ui.screens.confirm import ConfirmScreen
    from animetui.ui.screens.signin import SignInScreen

    ui_hub.services["whatanime"].set_credits(free_used=10)  # today's free searches used: the next one is paid
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("L")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInScreen), what="sign-in")
        await pilot.press(*DEMO_EMAIL, "enter", *DEMO_PASSWORD, "enter")
        await settle(pilot)
        await highlight_file(pilot, "beach")
        await pilot.press("e")  # trace.moe only: free
        await pilot.press("s")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert {m.engine for m in app.results_pane.shown} == {"tracemoe"}
        await pilot.press("e")  # all: whatanimeisthis would charge a credit, so ask first
        await pilot.press("f")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)


async def test_header_shows_trace_moe_quota_and_concurrency(build_app, ui_settings, ui_hub):
    from animetui.ui.widgets.status_header import StatusHeader

    ui_hub.services["tracemoe"].add_key("tm_sponsor_key_0000000000", email="s@example.com", quota=5000, concurrency=3)
    ui_settings.set("providers.tracemoe.api_key", "tm_sponsor_key_0000000000")
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        header = app.query_one(StatusHeader)
        await wait_for(pilot, lambda: "tracemoe" in header.credits, what="trace.moe's /me in the header")
        assert header.credits["tracemoe"] == "5,000/5,000 searches, 3 at a time"
        assert "trace.moe 5,000/5,000 searches, 3 at a time" in str(header.render())
        assert "tm_sponsor_key" not in str(header.render())

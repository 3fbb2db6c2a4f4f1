"""Pictures beyond the looked-up file: each scene match's preview frame (downloaded once, cached)
in the Results pane, and the way back to the looked-up picture with its boxes."""

from __future__ import annotations

from ui_helpers import highlight_file, settle, wait_for


async def test_scene_matches_show_their_preview_frames_once_downloaded(build_app, ui_hub, pictures):
    app = build_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await highlight_file(pilot, "beach")
        app.results_pane.scene_engine = "whatanime"  # previews fetched on demand (trace.moe's come with the search)
        await pilot.press("b")
        await settle(pilot)
        pane = app.results_pane
        matches = pane.shown
        assert len(matches) >= 2 and all(m.image_url for m in matches[:2])
        view = pane.image
        assert view.key == str(pictures / "beach_duo.png") and view.boxes_shown

        pane.scene_table.focus()
        await settle(pilot)
        assert view.key == matches[0].image_url and view.caption_text.startswith("match 1")
        assert view.error is None and view._inner is not None
        from animetui.pictures.previews import cache_path

        first = cache_path(app.settings.cache_dir, matches[0].image_url)
        assert first.is_file()
        first_stamp = first.stat().st_mtime_ns

        await pilot.press("down")
        await settle(pilot)
        assert view.key == matches[1].image_url and view.caption_text.startswith("match 2")
        await pilot.press("up")
        await settle(pilot)
        assert view.key == matches[0].image_url
        # the first frame came from the preview cache: not downloaded again
        assert first.stat().st_mtime_ns == first_stamp
        assert len(list(first.parent.iterdir())) == 2

        pane.detections.focus()
        await settle(pilot)
        assert view.key == str(pictures / "beach_duo.png")
        assert view._boxes and view.caption_text.endswith("boxes")


async def test_a_finished_jobs_picture_is_shown_in_the_jobs_pane(build_app, pictures):
    from animetui.models import GenerateRequest

    app = build_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        services = await app.services()
        await services.runner.submit_generate(GenerateRequest(prompt="a cat on a roof"))
        await wait_for(pilot, lambda: any(j.state.terminal for j in app.jobs_pane.jobs.values()), what="the job")
        await settle(pilot)
        preview = app.query_one("#job-preview")
        job = next(iter(app.jobs_pane.jobs.values()))
        assert job.state.value == "succeeded", job.error
        assert preview.key == job.result_path and preview._inner is not None and preview.error is None

"""``animetui scene --provider …``: each engine, or all of them together; ``credits`` asks each one."""

from __future__ import annotations

import json

from animetui.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_provider_all_returns_both_engines_matches(capsys, samples):
    code, out, err = run(capsys, "--demo", "scene", str(samples / "scene.png"), "--provider", "all", "--json")
    assert code == 0, err
    data = json.loads(out)
    engines = {m["engine"] for m in data["matches"]}
    assert engines == {"tracemoe", "whatanime"}
    assert set(data["providers"]) == {"tracemoe", "whatanime"} and data["errors"] == {}
    similarities = [m["similarity"] for m in data["matches"]]
    assert similarities == sorted(similarities, reverse=True), "best first, whatever the engine"
    for match in data["matches"]:
        assert match["confidence"] in ("likely", "uncertain", "probably wrong — the episode may not be indexed")
        assert not match["adult"], "adult matches are hidden by default"
    tracemoe = [m for m in data["matches"] if m["engine"] == "tracemoe"]
    assert tracemoe[0]["preview"] and tracemoe[0]["anilist_url"].startswith("https://anilist.co/anime/")
    hidden = data["nsfw_hidden"]
    code, out, _ = run(capsys, "--demo", "scene", str(samples / "scene.png"), "--provider", "all", "--json", "--adult")
    shown = json.loads(out)
    assert shown["cached"] is True, "the second lookup is answered from the history, per engine"
    assert len(shown["matches"]) == len(data["matches"]) + hidden and shown["nsfw_hidden"] == 0


def test_one_engine_at_a_time_and_cut_borders_keys_the_cache(capsys, samples):
    from animetui.history import History
    from animetui.locations import data_dir, history_db

    code, out, err = run(capsys, "--demo", "scene", str(samples / "scene.png"), "--provider", "tracemoe", "--json")
    assert code == 0, err
    assert {m["engine"] for m in json.loads(out)["matches"]} == {"tracemoe"}
    code, out, _ = run(capsys, "--demo", "scene", str(samples / "scene.png"), "--provider", "tracemoe", "--no-cut-borders", "--json")
    assert code == 0 and json.loads(out)["cached"] is False, "another cutBorders is another search"
    history = History(history_db(data_dir(demo=True)))
    try:
        params = sorted(e.params.get("cut_borders") for e in history.list() if e.provider == "tracemoe")
    finally:
        history.close()
    assert params == [False, True]


def test_human_output_labels_engines_and_counts_hidden_nsfw(capsys, samples):
    code, out, err = run(capsys, "--demo", "scene", str(samples / "scene.png"), "--provider", "all")
    assert code == 0, err
    header = out.splitlines()[0]
    assert "engine" in header and "confidence" in header
    assert "trace.moe" in out and "whatanimeisthis" in out
    assert "likely" in out


def test_unknown_provider_is_a_usage_error(capsys, samples):
    code, _out, err = run(capsys, "--demo", "scene", str(samples / "scene.png"), "--provider", "nope")
    assert code == 2 and "invalid choice" in err and "tracemoe" in err


def test_credits_lists_trace_moe_quota(capsys):
    code, out, err = run(capsys, "--demo", "credits", "--json")
    assert code == 0, err
    tracemoe = next(c for c in json.loads(out)["credits"] if c["provider"] == "tracemoe")
    assert tracemoe["unit"] == "searches" and tracemoe["remaining"] is not None and tracemoe["total"] == 100
    assert tracemoe["concurrency"] == 1 and tracemoe["priority"] == 0 and "used in the rolling 24 h" in tracemoe["detail"]


def test_credits_table_shows_trace_moe_concurrency(capsys):
    code, out, err = run(capsys, "--demo", "credits")
    assert code == 0, err
    assert "at once" in out.splitlines()[0]
    row = next(line for line in out.splitlines() if line.startswith("trace.moe"))
    assert row.split()[1:4] == ["100", "searches", "1"] and "priority 0" in row

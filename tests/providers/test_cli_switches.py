"""CLI defaults and --x/--no-x switch pairs: one run can override the config either way (issue 12).

Each command runs in demo mode (the in-process simulators); the provider method is wrapped to
record what the CLI asked it for, and the real call still goes to the simulator.
"""

from __future__ import annotations

import json

import pytest

from animetui.cli import main
from animetui.config import Settings
from animetui.providers.animeapi import AnimeAPIProvider
from animetui.providers.animetrace import AnimeTraceProvider
from animetui.providers.whatanime import WhatAnimeProvider


@pytest.fixture
def calls(monkeypatch):
    seen: list[tuple[str, dict]] = []

    def spy(cls, name):
        original = getattr(cls, name)

        async def wrapper(self, *args, **kwargs):
            seen.append((name, {**kwargs, "args": args}))
            return await original(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, wrapper)

    spy(WhatAnimeProvider, "rankings")
    spy(AnimeTraceProvider, "recognize")
    spy(AnimeAPIProvider, "generate")
    return seen


def configure(**values):
    settings = Settings.load()
    for name, value in values.items():
        settings.set(name, value)
    settings.save()


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_rankings_default_limit_is_the_services_50(capsys, calls):
    out = run(capsys, "--demo", "rankings", "--json")
    assert calls[-1][1]["limit"] == 50
    assert len(json.loads(out)["rankings"]) <= 50


@pytest.mark.parametrize(("configured", "argv", "expected"), [
    (False, [], False), (True, [], True), (True, ["--no-adult"], False), (False, ["--adult"], True),
])
def test_adult_follows_the_setting_unless_a_switch_says(capsys, calls, configured, argv, expected):
    configure(**{"providers.whatanime.include_adult": configured})
    run(capsys, "--demo", "rankings", "--limit", "3", *argv)
    assert calls[-1][1]["include_adult"] is expected


@pytest.mark.parametrize(("setting", "flag", "field"), [
    ("providers.animeapi.allow_nsfw", "nsfw", "allow_nsfw"),
    ("providers.animeapi.enhance", "enhance", "enhance"),
])
@pytest.mark.parametrize("configured", [False, True])
def test_generate_switch_pairs(capsys, calls, setting, flag, field, configured):
    configure(**{setting: configured})
    for argv, expected in (([], configured), ([f"--{flag}"], True), ([f"--no-{flag}"], False)):
        run(capsys, "--demo", "generate", "a fox", "--json", *argv)
        request = calls[-1][1]["args"][0]
        assert getattr(request, field) is expected, (argv, configured)


def test_raw_is_no_enhance(capsys, calls):
    run(capsys, "--demo", "generate", "a fox", "--raw", "--json")
    assert calls[-1][1]["args"][0].enhance is False


@pytest.mark.parametrize(("configured", "argv", "expected"), [
    (True, [], True), (True, ["--single"], False), (False, [], False), (False, ["--multi"], True),
])
def test_single_and_multi(capsys, calls, samples, configured, argv, expected):
    configure(**{"providers.animetrace.is_multi": configured})
    run(capsys, "--demo", "characters", str(samples / "photo.jpg"), "--refresh", "--json", *argv)
    assert calls[-1][1]["multi"] is expected


def test_ai_detect_pair(capsys, calls, samples):
    configure(**{"providers.animetrace.ai_detect": False})
    run(capsys, "--demo", "characters", str(samples / "photo.jpg"), "--refresh", "--json")
    assert calls[-1][1]["ai_detect"] is False
    run(capsys, "--demo", "characters", str(samples / "photo.jpg"), "--refresh", "--json", "--ai-detect")
    assert calls[-1][1]["ai_detect"] is True


def test_an_unlisted_model_warns_on_stderr_and_is_sent(capsys, samples):
    code = main(["--demo", "characters", str(samples / "photo.jpg"), "--model", "pre_stable", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "warning: model pre_stable is not in AnimeTrace's model list" in err
    assert json.loads(out)["model"] == "pre_stable"

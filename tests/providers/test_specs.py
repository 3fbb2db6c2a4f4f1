"""Providers are declared by their spec modules; nothing else lists them.

The proof: a provider added as nothing but its own modules (a spec in ``providers/specs/`` and an
implementation) appears in the settings schema, the CLI's ``--provider`` choices, "who can search
scenes", the header, and answers a scene lookup — with no other file edited.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from animetui.providers.spec import CHARACTERS, CREDITS, SCENE
from animetui.providers.specs import all_specs, capable


def test_every_provider_module_has_a_spec_and_the_registry_reads_them():
    import animetui.providers as registry
    from animetui.config import SCHEMA_BY_NAME
    from animetui.simulator.hub import SERVICE_MODULES

    names = [s.name for s in all_specs()]
    assert set(names) == {"animetrace", "whatanime", "tracemoe", "animeapi", "ailab", "local"}
    assert registry.NAMES == tuple(names) and registry.TITLES["tracemoe"] == "trace.moe"
    for spec in all_specs():
        __import__(spec.module)  # the module it names exists and has create()
        assert callable(getattr(sys.modules[spec.module], "create"))
        assert SERVICE_MODULES.get(spec.name) == spec.simulator
        assert (spec.simulator is None) == (not spec.network)  # only the local library needs none
        for setting in spec.settings:
            key = SCHEMA_BY_NAME[f"{spec.section}.{setting.key}"]
            assert key.default == setting.default and key.secret == setting.secret
    assert [s.name for s in capable(SCENE)] == ["local", "whatanime", "tracemoe"]
    assert [s.name for s in capable(CHARACTERS)] == ["animetrace"]
    assert {s.name for s in capable(CREDITS)} >= {"whatanime", "tracemoe", "ailab"}
    assert SCHEMA_BY_NAME["general.scene_provider"].choices == ("local", "whatanime", "tracemoe", "all")
    assert SCHEMA_BY_NAME["library.backend"].choices == ("faiss", "milvus")  # the library's keys: [library]


def test_trace_moe_settings_are_validated_from_its_spec(settings):
    import pytest

    from animetui.errors import ConfigError

    assert settings["providers.tracemoe.cut_borders"] is True
    assert settings["providers.tracemoe.base_url"] == "https://api.trace.moe"
    with pytest.raises(ConfigError, match="preview_size"):
        settings.set("providers.tracemoe.preview_size", "xl")
    with pytest.raises(ConfigError, match="at most 10"):
        settings.set("providers.tracemoe.previews", 50)


def test_a_provider_added_as_its_own_modules_only_is_wired_everywhere(tmp_path):
    specs_dir = tmp_path / "specs"
    specs_dir.mkdir()
    (specs_dir / "fakescene.py").write_text(textwrap.dedent('''
        from animetui.providers.spec import SCENE, Limit, ProviderSpec, Setting, timeout_setting

        SPEC = ProviderSpec(
            name="fakescene", title="Fake Scene", module="fakescene_impl", capabilities=frozenset({SCENE}),
            order=90, limit=Limit(5, 5.0), limits_doc="none",
            settings=(Setting("base_url", "https://fake.example", "base URL", restart=True),
                      Setting("flavour", "plain", "how it answers", choices=("plain", "fancy")),
                      timeout_setting(10.0)),
        )
    '''))
    (tmp_path / "fakescene_impl.py").write_text(textwrap.dedent('''
        from animetui.models import SceneMatch, SceneResult

        class Fake:
            name = "fakescene"
            def __init__(self, ctx):
                self.ctx = ctx
            async def search_scene(self, source):
                return SceneResult(matches=(SceneMatch(title="Fake " + self.ctx.settings["flavour"], similarity=0.99),))

        def create(ctx):
            return Fake(ctx)
    '''))
    code = textwrap.dedent(f'''
        import asyncio, json, sys
        sys.path.insert(0, {str(tmp_path)!r})
        import animetui.providers.specs as specs
        specs.__path__.append({str(specs_dir)!r})
        specs.all_specs.cache_clear()
        from animetui.config import SCHEMA_BY_NAME, Settings
        from animetui.cli import build_parser
        from animetui.history import History
        from animetui.lookups import LookupService
        from animetui.models import ImageSource
        from animetui.providers import Providers
        from animetui.providers.spec import SCENE
        from animetui.ui.widgets.status_header import PROVIDER_LABELS

        settings = Settings.load()
        settings.set("providers.fakescene.flavour", "fancy")
        out = {{}}
        out["schema"] = "providers.fakescene.flavour" in SCHEMA_BY_NAME
        out["choices"] = list(SCHEMA_BY_NAME["general.scene_provider"].choices)
        out["cli"] = build_parser().parse_args(["scene", "x.png", "--provider", "fakescene"]).provider
        out["header"] = PROVIDER_LABELS.get("fakescene")
        providers = Providers(settings, demo=True)
        out["capable"] = [type(p).__name__ for p in providers.capable(SCENE)]

        async def main():
            service = LookupService(providers, History(settings.data_dir / "h.sqlite3"))
            outcome = await service.scene(ImageSource(data=open({str(tmp_path / "img.png")!r}, "rb").read(), name="a.png"),
                                          providers="fakescene")
            await providers.aclose()
            return [(m.engine, m.title) for m in outcome.result.matches]

        out["lookup"] = asyncio.run(main())
        print(json.dumps(out))
    ''')
    from animetui.simulator.imagery import scene

    (tmp_path / "img.png").write_bytes(scene(64, 48, seed=1))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    import json

    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["schema"] is True
    assert out["choices"] == ["local", "whatanime", "tracemoe", "fakescene", "all"]
    assert out["cli"] == "fakescene"
    assert out["header"] == "Fake Scene"
    assert out["capable"][-1] == "Fake"
    assert out["lookup"] == [["fakescene", "Fake fancy"]]

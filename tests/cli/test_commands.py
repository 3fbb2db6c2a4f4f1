"""The CLI package's command table: every command the parser offers runs somewhere, and the
start-up imports stay light (handlers are imported when their command runs)."""

from __future__ import annotations

import argparse
import inspect
import subprocess
import sys

from animetui.cli import COMMANDS, build_parser
from animetui.cli.dispatch import HANDLERS, handler_for

DIRECT = {"config", "library"}  # run without a runtime, straight from dispatch()


def _subcommands(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._actions:  # argparse has no public accessor for sub-parsers
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def test_every_command_is_parsed_and_handled():
    assert _subcommands(build_parser()) == set(COMMANDS)
    assert set(HANDLERS) | DIRECT == set(COMMANDS)
    assert not set(HANDLERS) & DIRECT


def test_every_handler_is_a_coroutine_function_taking_args_settings_runtime():
    for command in HANDLERS:
        handler = handler_for(command)
        assert inspect.iscoroutinefunction(handler), command
        assert list(inspect.signature(handler).parameters) == ["args", "settings", "rt"], command


def test_parsing_the_command_line_imports_no_command_module():
    code = (
        "import sys\nfrom animetui.cli import build_parser\n"
        "build_parser().parse_args(['--demo', 'scene', 'x.png'])\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith('animetui.cli.')"
        " and m.rsplit('.', 1)[1] not in ('output', 'parser', 'dispatch'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""

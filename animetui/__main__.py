"""``python -m animetui`` — the same as the ``animetui`` command."""

from animetui.cli import main

raise SystemExit(main())

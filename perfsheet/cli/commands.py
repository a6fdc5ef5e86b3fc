"""The list of commands, one module per pipeline stage.

Each command module exposes ``COMMANDS: list[click.Command]``; add one import and one ``ALL +=`` line
per module (keep the pipeline order).
"""

from __future__ import annotations

import click

ALL: list[click.Command] = []

from .goals import COMMANDS as _goals  # noqa: E402

ALL += _goals

from .templates import COMMANDS as _templates  # noqa: E402

ALL += _templates

from .mailing import COMMANDS as _mailing  # noqa: E402

ALL += _mailing

from .check import COMMANDS as _check  # noqa: E402

ALL += _check

from .consolidate import COMMANDS as _consolidate  # noqa: E402

ALL += _consolidate

from .run import COMMANDS as _run  # noqa: E402

ALL += _run

from .selfeval import COMMANDS as _selfeval  # noqa: E402

ALL += _selfeval

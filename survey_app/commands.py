"""The `flask` commands, each imported only when it runs or its help is shown.

A gunicorn worker builds the app but never runs a command: importing the command modules
(the demo, the backup with sqlite3, the user commands with email-validator, ...) cost every
worker 1.4 MB of memory it never used (bench/rss.py; BENCHMARKS.md, "Memory").
tests/test_lean_worker.py pins that a worker serving parents imports none of them.
"""

from collections.abc import Callable
from importlib import import_module

import click
from flask import Flask


class LazyCommand(click.Group):
    """Stands for a command (or group) until it is asked for, then hands over to it."""

    def __init__(self, name: str, load: Callable[[], click.Command], **kwargs) -> None:
        super().__init__(name, **kwargs)
        self._load = load
        self._real: click.Command | None = None

    def real(self) -> click.Command:
        if self._real is None:
            self._real = self._load()
        return self._real

    def make_context(self, info_name, args, parent=None, **extra):
        # the real command parses its own options and runs (its subcommand)
        return self.real().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx):
        real = self.real()
        return real.list_commands(ctx) if isinstance(real, click.Group) else []

    def get_command(self, ctx, name):
        real = self.real()
        return real.get_command(ctx, name) if isinstance(real, click.Group) else None

    def get_short_help_str(self, limit: int = 45) -> str:
        if self.help:  # given to the stand-in: `flask --help` need not load the command
            return super().get_short_help_str(limit)
        return self.real().get_short_help_str(limit)


def _attribute(path: str) -> Callable[[], click.Command]:
    module, name = path.split(":")
    return lambda: getattr(import_module(module), name)


def _notify() -> click.Command:
    from survey_app.cases.digest import digest_command
    from survey_app.notify.cli import notify_cli

    notify_cli.add_command(digest_command)  # the overdue digest is the cases' own
    return notify_cli


def _data() -> click.Command:
    from survey_app.retention import data_cli
    from survey_app.survey.provenance import forget_devices_command

    data_cli.add_command(forget_devices_command)
    return data_cli


COMMANDS: dict[str, Callable[[], click.Command]] = {
    "users": _attribute("survey_app.auth.cli:users_cli"),
    "schools": _attribute("survey_app.auth.cli:schools_cli"),
    "procedures": _attribute("survey_app.dossiers.cli:procedures_cli"),
    "dossiers": _attribute("survey_app.dossiers.cli:dossiers_cli"),
    "notify": _notify,
    "report": _attribute("survey_app.reports.cli:report_cli"),
    "demo": _attribute("survey_app.demo:demo"),
    "backup": _attribute("survey_app.backup:backup_cli"),
    "data": _data,
}


def register(app: Flask) -> None:
    for name, load in COMMANDS.items():
        app.cli.add_command(LazyCommand(name, load))

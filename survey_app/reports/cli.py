"""`flask report ...`: monthly and period reports."""

import click


@click.group("report")
def report_cli():
    """Reports."""

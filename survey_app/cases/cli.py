"""`flask notify ...`: mail delivery from the outbox."""

import click


@click.group("notify")
def notify_cli():
    """Mail from the outbox."""

"""`flask notify ...`: mail delivery from the outbox (the overdue digest, `flask notify digest`,
lives in survey_app.cases.digest and joins this group in the app factory)."""

import click

from survey_app.notify.mail import send_pending


@click.group("notify")
def notify_cli():
    """Mail from the outbox."""


@notify_cli.command("send")
@click.option("--limit", default=500, show_default=True, help="At most this many mails.")
@click.option(
    "--due-only",
    is_flag=True,
    help="Skip mail still waiting out its retry delay (for a frequent cron job).",
)
def send_command(limit: int, due_only: bool):
    """Deliver pending mail from the outbox (retrying failed mail now)."""
    sent, failed = send_pending(limit=limit, retry_now=not due_only)
    click.echo(f"sent {sent}, failed {failed}")
    if failed:
        raise SystemExit(1)

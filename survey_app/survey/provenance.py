"""Where a self-service answer came from, kept without naming the parent.

A 90% coverage target invites staff to answer for parents. For each `qr` / `code` answer
we keep three facts a principal needs to see that, and nothing that identifies the parent:

- from_desk_network: the request came from one of the school's own desk networks (the
  dated rule `desk_networks`, CIDR strings, in force on the day of the answer);
- minutes_after_return: whole minutes between the dossier's return and the answer;
- device_key: HMAC-SHA256 of the user agent and the network prefix (/24 for IPv4, /64 for
  IPv6) under a key derived from SECRET_KEY and the local day, so the same phone gets
  another key tomorrow and keys cannot be linked across days. The raw address is never
  stored. After DEVICE_KEY_DAYS the key is nulled (`flask data forget-devices`), and the
  number of the school's answers that carried it that day is kept in device_day_answers,
  so the figures do not change when the key goes.

Paper and kiosk answers are assisted by definition: all four columns stay NULL.
The figures built on these columns live in reports/queries.py (`provenance`).
"""

import hashlib
import hmac
import ipaddress
from datetime import date, datetime, timedelta

import click
from flask import current_app, request
from flask.cli import with_appcontext
from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased

from survey_app.audit import audit
from survey_app.dated_rules import get_rule
from survey_app.dossiers.models import Dossier
from survey_app.extensions import db, rowcount
from survey_app.survey.models import SELF_SERVICE, Response, ResponseChannel
from survey_app.timeutil import day_start_utc, local_today, to_local

DEVICE_KEY_DAYS = 30  # personal data kept no longer than its purpose needs (Law 91/2025/QH15)
USER_AGENT_MAX = 512
NONE = {
    "from_desk_network": None,
    "minutes_after_return": None,
    "device_key": None,
    "device_day_answers": None,
}


def network_prefix(address: str | None) -> str:
    """The /24 (IPv4) or /64 (IPv6) network of an address, as text; "" when unreadable."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return ""
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    bits = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{bits}", strict=False))


def device_key(user_agent: str, address: str | None, day: date, secret: str | bytes) -> str:
    """A keyed hash of the user agent and the network prefix, under the day's key."""
    secret = secret.encode() if isinstance(secret, str) else secret
    day_key = hmac.new(secret, f"hai-long device key {day.isoformat()}".encode(), "sha256")
    message = f"{user_agent[:USER_AGENT_MAX]}\n{network_prefix(address)}".encode()
    return hmac.new(day_key.digest(), message, hashlib.sha256).hexdigest()[:32]


def in_networks(address: str | None, networks: list[str]) -> bool:
    """Whether `address` lies in one of the CIDR strings (unreadable entries are skipped)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for cidr in networks or []:
        try:
            if ip in ipaddress.ip_network(str(cidr).strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


def parse_networks(text: str) -> list[str] | None:
    """ "203.0.113.0/24, 2001:db8::/64" -> normalised CIDR strings; None when one is bad."""
    out = []
    for part in (text or "").replace("\n", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            out.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            return None
    return sorted(set(out))


def minutes_between(returned_at: datetime | None, answered_at: datetime) -> int | None:
    """Whole minutes from the return to the answer (0 if the clock says earlier)."""
    if returned_at is None:
        return None
    return max(0, int((answered_at - returned_at).total_seconds() // 60))


def of_answer(dossier: Dossier, channel: ResponseChannel, now: datetime) -> dict:
    """The provenance columns of an answer being stored now (from the current request)."""
    if channel not in SELF_SERVICE:
        return dict(NONE)
    address = request.remote_addr  # the proxy's trust is set up once, in create_app
    day = to_local(now).date()
    networks = get_rule("desk_networks", dossier.school_id, day)
    return {
        "from_desk_network": in_networks(address, networks),
        "minutes_after_return": minutes_between(dossier.returned_at, now),
        "device_key": device_key(
            request.headers.get("User-Agent", ""), address, day, current_app.config["SECRET_KEY"]
        ),
        "device_day_answers": None,
    }


def forget_devices(today: date | None = None) -> int:
    """Null the device keys of answers older than DEVICE_KEY_DAYS local days.

    Each key's count of the school's answers that day is kept first, so "one device,
    several dossiers" stays countable. The cut-off is a local midnight: a day's answers go
    together (a key belongs to one day). Returns the number of keys nulled.
    """
    cutoff = day_start_utc((today or local_today()) - timedelta(days=DEVICE_KEY_DAYS))
    old = (Response.device_key.is_not(None), Response.submitted_at < cutoff)
    same = aliased(Response)
    day_answers = (
        select(func.count())
        .where(same.school_id == Response.school_id, same.device_key == Response.device_key)
        .scalar_subquery()
    )
    # Two statements: SQLite evaluates the count row by row, so nulling the keys in the
    # same UPDATE would change the counts still to be taken.
    db.session.execute(
        update(Response)
        .where(*old)
        .values(device_day_answers=day_answers)
        .execution_options(synchronize_session=False)
    )
    return rowcount(
        db.session.execute(
            update(Response)
            .where(*old)
            .values(device_key=None)
            .execution_options(synchronize_session=False)
        )
    )


@click.command("forget-devices")
@with_appcontext
def forget_devices_command():
    """Null survey device keys older than 30 days (run daily); the figures stay."""
    nulled = forget_devices()
    if nulled:
        audit(
            "forget_device_keys",
            "response",
            None,
            as_user=False,
            days=DEVICE_KEY_DAYS,
            keys=nulled,
        )
    db.session.commit()
    click.echo(
        f"Nulled {nulled} device keys older than {DEVICE_KEY_DAYS} days; "
        "their daily answer counts are kept."
    )

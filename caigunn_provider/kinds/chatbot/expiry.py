"""Each managed chatbot's plan period: where its end is known from, and the warning it earns.

Runs in the program process (the pre-flight), so that a warning is said once per entry per run, at
preview as at up. The state tells when to look: its `expires_at` (the create's `expired_at`, or
the period a read by id saw at adoption or the last refresh) costs no request. Only an entry whose
recorded end falls within the warning window is read again by id, where the server can (16 at a
time; the update check's reads are reused), so that a renewal made in the console silences its
warning at once; a period far off is never asked about, so a run that changes nothing reads no
chatbot. A read that fails leaves the recorded end in force. A warning informs: nothing here ever
fails the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from caigunn_provider.account import Account
from caigunn_provider.client import ChatbotInfo
from caigunn_provider.errors import CaiGunnError
from caigunn_provider.ids import is_canonical_id

# Chatbots read by id at once for their period (the client's account-wide limit still applies).
READ_WORKERS = 16
# The output that holds the period's end, and the one older states hold instead (the create's
# answer as it came).
EXPIRES_AT, LEGACY_EXPIRED_AT = "expires_at", "expired_at"


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time (a date alone is its midnight; UTC where no zone is given), else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def as_output(moment: datetime | None) -> str | None:
    """The form kept in the state and the outputs: `2026-09-30T00:00:00+00:00` (UTC, seconds)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def recorded_end(outputs: Mapping[str, object]) -> datetime | None:
    """The period's end a resource's state records (also in a state written before expires_at)."""
    return parse_time(outputs.get(EXPIRES_AT)) or parse_time(outputs.get(LEGACY_EXPIRED_AT))


def worth_a_look(
    recorded: Mapping[str, datetime | None], now: datetime, within_days: int
) -> list[str]:
    """The entries whose recorded end would earn a warning: those are confirmed live first."""
    return [
        name
        for name, ends in recorded.items()
        if ends is not None and warning(name, "", ends, now, within_days) is not None
    ]


def live_ends(
    account: Account, ids: Mapping[str, str], known: Mapping[str, ChatbotInfo]
) -> dict[str, datetime]:
    """{entry: period end} read by id, for the entries the server shows a period for.

    `known` holds the answers already fetched this run (no second request for them). A read that
    fails, or an answer without a period, leaves the entry out: its recorded end is used instead.
    """
    if not (account.caps.read_by_id and account.caps.shows_period):
        return {}
    ends = {name: info.period_end_at for name, info in known.items() if info.period_end_at}
    wanted = [name for name in ids if name not in known and is_canonical_id(ids[name])]

    def end_of(name: str) -> datetime | None:
        try:
            return account.client.get_chatbot(ids[name]).period_end_at
        except CaiGunnError:
            return None  # gone or failing: the run's own steps meet it and report it

    if wanted:
        with ThreadPoolExecutor(max_workers=READ_WORKERS) as pool:
            for name, end in zip(wanted, pool.map(end_of, wanted), strict=True):
                if end is not None:
                    ends[name] = end
    return {name: end for name, end in ends.items() if end is not None}


def warning(
    name: str, chatbot_id: str, ends: datetime, now: datetime, within_days: int
) -> str | None:
    """The warning for one entry whose period ends at `ends`, or None when it is far enough off.

    Days are counted between calendar days in UTC, as the date is shown.
    """
    day = ends.astimezone(UTC).date()
    left = (day - now.astimezone(UTC).date()).days
    where = f"chatbots.{name}: the plan period of chatbot {chatbot_id}"
    if ends <= now:
        ago = "today" if left == 0 else f"{-left} day{'s' if left != -1 else ''} ago"
        return (
            f"{where} ended on {day.isoformat()} (UTC, {ago}): the chatbot may no longer answer. "
            "Renew it in the CaiGunn console."
        )
    if left > within_days:
        return None
    when = "today" if left == 0 else f"in {left} day{'s' if left != 1 else ''}"
    return (
        f"{where} ends on {day.isoformat()} (UTC, {when}): renew it in the CaiGunn console, or "
        "the chatbot may stop answering then."
    )


def warnings(
    owned: Mapping[str, str],
    recorded: Mapping[str, datetime | None],
    live: Mapping[str, datetime],
    now: datetime,
    within_days: int,
) -> dict[str, str]:
    """{entry: warning} for the owned entries (entry -> chatbot id) whose period ends soon or is
    over; the live end wins over the recorded one."""
    found = {}
    for name, chatbot_id in owned.items():
        ends = live.get(name) or recorded.get(name)
        said = warning(name, chatbot_id, ends, now, within_days) if ends else None
        if said is not None:
            found[name] = said
    return found

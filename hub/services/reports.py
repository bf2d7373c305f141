"""Data reports for administrators (DOMAIN.md §8): counts, worklist aging, ingest quality and
timeliness against 34 CFR 200.85 (DOMAIN.md §5).

Every report is a `Chart`: category labels, one or more named series of numbers, and the same
numbers as a table; the web door draws the chart as SVG and prints the table beside it. Reports
count children and records, never show them.

Timeliness rules (day counts firm, working vs calendar as DOMAIN.md §5 reads them; no holiday
calendar yet, so working days are Monday to Friday):
- *New COE*: 10 working days from the qualifying arrival date (the COE approval date is not an
  MDE; the arrival date is the earliest it can be) to the hub receiving the record;
- *End of term*: 30 calendar days from a withdrawal date to the hub receiving it;
- *Move notice*: 4 working days from a notice reaching the hub to the sending state's next
  record of that child.
The start-up full load is exempt: events first reported in a state's first batch are not counted.

All functions run on the store thread.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from hub.store import Document, Store

MONTHS_SHOWN: Final = 12
TOP_FIELDS: Final = 10
AGE_BUCKETS: Final = ((0, 2, "0–2 days"), (3, 5, "3–5 days"), (6, 10, "6–10 days"))
AGE_OVER: Final = (11, 30, "11–30 days")
AGE_LAST: Final = "over 30 days"
KIND_TITLES: Final = {
    "near_match": "Near match",
    "validate_near_match_merge": "Validate merge (near match)",
    "validate_user_merge": "Validate user merge",
    "validate_user_split": "Validate user split",
}


@dataclass(frozen=True)
class Rule:
    name: str
    title: str
    short: str
    days: int
    working: bool


RULES: Final = (
    Rule("coe", "New COE: 10 working days", "COE", 10, True),
    Rule("term", "End of term: 30 days", "Term", 30, False),
    Rule("move", "Move notice: 4 working days", "Move", 4, True),
)


@dataclass(frozen=True)
class Chart:
    """One report: categories (x axis), named series, and the unit of the numbers."""

    key: str
    title: str
    description: str
    categories: list[str]
    series: dict[str, list[float]]
    unit: str = "children"
    stacked: bool = False
    extra_columns: dict[str, list[str]] = field(default_factory=dict)  # shown in the table only

    @property
    def empty(self) -> bool:
        """Nothing counted at all (zeros that were counted, such as 0% on time, are data)."""
        if not self.categories:
            return True
        return not self.extra_columns and not any(any(v) for v in self.series.values())


@dataclass(frozen=True)
class Reports:
    generated_at: datetime
    charts: list[Chart]


class ReportCache:
    """The reports read from every state record version, kept until the data changes.

    A full pass over the versions is the expensive part; state records change only through an
    ingest batch (files and enrollment messages alike) or a merge or split (a closed worklist
    item), so the batches and the closed-item count are the fingerprint.
    """

    def __init__(self) -> None:
        self._fingerprint: object = None
        self._charts: tuple[Chart, Chart] | None = None

    def charts(
        self, store: Store, versions_fingerprint: object, batches: list[Document], now: datetime
    ) -> tuple[Chart, Chart]:
        if self._charts is None or versions_fingerprint != self._fingerprint:
            versions = list(store.reports.record_versions())
            self._charts = (
                children_by_state_and_month(versions),
                timeliness(versions, batches, store.reports.move_notices(), now=now),
            )
            self._fingerprint = versions_fingerprint
        return self._charts


def build_reports(store: Store, *, now: datetime, cache: ReportCache | None = None) -> Reports:
    """Every report, from one pass over each collection it reads."""
    batches = list(store.reports.batches())
    fingerprint = (
        sorted((str(b["_id"]), str(b.get("status")), str(b.get("counts"))) for b in batches),
        store.reports.closed_worklist_count(),
        store.reports.move_notice_count(),
        now.date(),
    )
    by_month, timely = (cache or ReportCache()).charts(store, fingerprint, batches, now)
    return Reports(
        now,
        [
            by_month,
            new_msix_ids(store.reports.issued_ids()),
            worklist_aging(store.reports.open_worklist(), now=now),
            ingest_rejections(batches),
            rejections_by_field(store.reports.quarantine()),
            timely,
        ],
    )


def children_by_state_and_month(versions: Iterable[Document]) -> Chart:
    """Children enrolled by each state, by month of enrollment (current records only)."""
    current = _current(versions)
    children: dict[tuple[str, str], set[str]] = defaultdict(set)
    for doc in current.values():
        record = doc.get("record") or {}
        for enrollment in record.get("enrollments") or ():
            begun = str(enrollment.get("enrollment_date") or "")[:7]
            if begun and doc.get("msix_id"):
                children[(doc["state"], begun)].add(doc["msix_id"])
    months = _last_months({month for _, month in children})
    states = sorted({state for state, _ in children})
    return Chart(
        "children-by-state",
        "Children by state and month",
        "Children with an enrollment starting in the month, by the state that reported it "
        f"(the last {MONTHS_SHOWN} months with data).",
        months,
        {state: [float(len(children.get((state, m), ()))) for m in months] for state in states},
        stacked=True,
    )


def new_msix_ids(issued: Iterable[Document]) -> Chart:
    by_month: Counter[str] = Counter()
    for doc in issued:
        moment = doc.get("issued_at")
        if isinstance(moment, datetime):
            by_month[moment.strftime("%Y-%m")] += 1
    months = _last_months(set(by_month))
    return Chart(
        "new-msix-ids",
        "New MSIX IDs",
        "MSIX IDs issued per month (a child's first record from any state issues one).",
        months,
        {"New MSIX IDs": [float(by_month[m]) for m in months]},
        unit="IDs",
    )


def worklist_aging(items: Iterable[Document], *, now: datetime) -> Chart:
    buckets = [label for _, _, label in (*AGE_BUCKETS, AGE_OVER)] + [AGE_LAST]
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for item in items:
        created = _aware(item.get("created_at"))
        if created is None:
            continue
        counts[KIND_TITLES.get(item.get("kind", ""), str(item.get("kind")))][
            _bucket((now - created).days)
        ] += 1
    kinds = sorted(counts)
    return Chart(
        "worklist-aging",
        "Worklist aging",
        "Open worklist items by days waiting since they were opened, by kind of item.",
        buckets,
        {kind: [float(counts[kind][b]) for b in buckets] for kind in kinds},
        unit="items",
        stacked=True,
    )


def ingest_rejections(batches: Iterable[Document]) -> Chart:
    accepted: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    files: Counter[str] = Counter()
    for batch in batches:
        counts = batch.get("counts") or {}
        state = str(batch.get("state"))
        files[state] += 1
        accepted[state] += int(counts.get("accepted", 0))
        rejected[state] += int(counts.get("rejected", 0))
    states = sorted(files)
    rates = [_percent(rejected[s], accepted[s] + rejected[s]) for s in states]
    return Chart(
        "ingest-rejections",
        "Ingest rejection rate by state",
        "Records accepted and rejected in every file each state sent.",
        states,
        {
            "Accepted": [float(accepted[s]) for s in states],
            "Rejected": [float(rejected[s]) for s in states],
        },
        unit="records",
        stacked=True,
        extra_columns={
            "Files": [str(files[s]) for s in states],
            "Rejected %": [f"{rate:.1f}" for rate in rates],
        },
    )


def rejections_by_field(quarantine: Iterable[Document]) -> Chart:
    """Open quarantined records by the field their problems point at, per state."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for doc in quarantine:
        if doc.get("status") != "open":
            continue
        fields = {
            _field(issue.get("location"))
            for issue in doc.get("issues") or ()
            if issue.get("severity", "error") in ("error", "fatal")
        }
        for name in fields:
            counts[str(doc.get("state"))][name] += 1
    totals: Counter[str] = Counter()
    for per_state in counts.values():
        totals.update(per_state)
    top = [name for name, _ in totals.most_common(TOP_FIELDS)]
    return Chart(
        "rejections-by-field",
        "Rejected records by field",
        f"Records waiting in quarantine by the field of their errors (top {TOP_FIELDS}); a "
        "record with errors in two fields counts under both.",
        top,
        {state: [float(counts[state][name]) for name in top] for state in sorted(counts)},
        unit="records",
        stacked=True,
    )


def timeliness(
    versions: list[Document],
    batches: list[Document],
    notices: Iterable[Document],
    *,
    now: datetime,
) -> Chart:
    """Share of events each state reported within its deadline, per rule."""
    first_batch = _first_batches(batches)
    on_time: dict[tuple[str, str], int] = Counter()
    late: dict[tuple[str, str], int] = Counter()
    seen: set[tuple[str, str, str, str]] = set()
    by_child: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    ordered = sorted(versions, key=lambda d: (d["state"], d["state_student_id"], d["version"]))
    for doc in ordered:
        received = _aware(doc.get("received_at"))
        if received is None:
            continue
        if doc.get("msix_id"):
            by_child[(doc["msix_id"], doc["state"])].append(received)
        events = doc.get("events") or {}
        for rule_name, event in (("coe", "qualifying_arrival"), ("term", "withdrawal")):
            value = events.get(event)
            key = (doc["state"], doc["state_student_id"], event, str(value))
            if not value or key in seen:
                continue
            seen.add(key)
            if doc.get("batch_id") == first_batch.get(doc["state"]):
                continue  # the start-up full load is exempt
            spec = next(r for r in RULES if r.name == rule_name)
            target = (
                on_time if _within(date.fromisoformat(str(value)[:10]), received, spec) else late
            )
            target[(doc["state"], rule_name)] += 1
    move = next(r for r in RULES if r.name == "move")
    for notice in notices:
        sent = _aware(notice.get("received_at"))
        sender = str(notice.get("sender") or "").split("|")[0]
        if sent is None or not sender or sender == "-":
            continue
        follow_ups = [t for t in by_child.get((str(notice.get("msix_id")), sender), []) if t > sent]
        deadline = _deadline(sent.date(), move)
        if any(t.date() <= deadline for t in follow_ups):
            on_time[(sender, "move")] += 1
        elif now.date() > deadline:
            late[(sender, "move")] += 1
    states = sorted({state for state, _ in (*on_time, *late)})
    series: dict[str, list[float]] = {}
    columns: dict[str, list[str]] = {}
    for rule in RULES:
        shares = []
        counted = []
        for state in states:
            done, missed = on_time[(state, rule.name)], late[(state, rule.name)]
            shares.append(_percent(done, done + missed))
            counted.append(f"{done}/{done + missed}" if done + missed else "none")
        series[rule.title] = shares
        columns[f"{rule.short} on time / counted"] = counted
    return Chart(
        "timeliness",
        "Timeliness (34 CFR 200.85)",
        "Share of events reported within the deadline, by state and rule; the start-up full "
        "load is exempt, and a rule with nothing to count shows 0 with 'none' in the table.",
        states,
        series,
        unit="% on time",
        extra_columns=columns,
    )


# -- helpers --------------------------------------------------------------------------------


def _current(versions: Iterable[Document]) -> dict[tuple[str, str], Document]:
    latest: dict[tuple[str, str], Document] = {}
    for doc in versions:
        key = (doc["state"], doc["state_student_id"])
        if key not in latest or latest[key]["version"] < doc["version"]:
            latest[key] = doc
    return {key: doc for key, doc in latest.items() if not doc.get("deleted")}


def _last_months(months: set[str]) -> list[str]:
    return sorted(months)[-MONTHS_SHOWN:]


def _bucket(days: int) -> str:
    for low, high, label in (*AGE_BUCKETS, AGE_OVER):
        if low <= days <= high:
            return label
    return AGE_LAST


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _field(location: object) -> str:
    """`records[3].enrollments[0].school_id` -> `enrollments.school_id`."""
    text = str(location or "record")
    parts = [part.split("[")[0] for part in text.split(".")]
    if parts and parts[0] in ("records", "record"):
        parts = parts[1:]
    return ".".join(part for part in parts if part) or "record"


def _aware(moment: Any) -> datetime | None:
    if not isinstance(moment, datetime):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _first_batches(batches: Iterable[Document]) -> dict[str, str]:
    first: dict[str, tuple[datetime, str]] = {}
    for batch in batches:
        received = _aware(batch.get("received_at"))
        state = batch.get("state")
        if received is None or not state:
            continue
        if state not in first or received < first[state][0]:
            first[state] = (received, batch["_id"])
    return {state: batch_id for state, (_, batch_id) in first.items()}


def _deadline(start: date, rule: Rule) -> date:
    if not rule.working:
        return start + timedelta(days=rule.days)
    day, left = start, rule.days
    while left:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


def _within(event: date, received: datetime, rule: Rule) -> bool:
    return received.date() <= _deadline(event, rule)

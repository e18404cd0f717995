"""The day's figures from the simulated calls and cases, and a hand-written SVG of the hours."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from bench.daysim.dispatching import CaseResult
from bench.daysim.phones import PhoneDay


def percentile(values: Sequence[float], p: float) -> float:
    """Return the p-th percentile (nearest rank) of non-empty values."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def spread(values: Sequence[float]) -> str:
    """Return 'median / p90 / max' rounded, or 'n/a' without values."""
    if not values:
        return "n/a"
    return f"{statistics.median(values):.1f} / {percentile(values, 90):.1f} / {max(values):.1f}"


@dataclass(frozen=True)
class PhoneFigures:
    """Figures of the telephone side."""

    calls: int
    to_person_minutes: list[float]  # every caller a person reached: direct, from the queue, by call-back
    callback_minutes: list[float]  # call-backs: first ring -> connected
    callback_delays: list[float]  # call-backs: her key 1 -> connected
    voicemail_unchosen: int
    voicemail_chosen: int
    callbacks: int
    callbacks_failed: int
    callbacks_open: int
    max_queue: int


def phone_figures(day: PhoneDay) -> PhoneFigures:
    """Summarise the calls of a day."""
    calls = day.calls
    return PhoneFigures(
        calls=len(calls),
        to_person_minutes=[c.time_to_person / 60 for c in calls if c.time_to_person is not None],
        callback_minutes=[c.time_to_person / 60 for c in calls
                          if c.time_to_person is not None and c.outcome == "callback"],
        callback_delays=[(c.connected_at - c.callback_chosen_at) / 60 for c in calls
                         if c.outcome == "callback" and c.connected_at is not None
                         and c.callback_chosen_at is not None],
        voicemail_unchosen=sum(c.outcome == "voicemail" for c in calls),
        voicemail_chosen=sum(c.outcome == "voicemail_chosen" for c in calls),
        callbacks=sum(c.callback_chosen_at is not None for c in calls),
        callbacks_failed=sum(c.outcome == "callback_failed" for c in calls),
        callbacks_open=sum(c.outcome == "open" for c in calls),
        max_queue=max((n for _, n in day.queue_length), default=0),
    )


@dataclass(frozen=True)
class CaseFigures:
    """Figures of the dispatch side."""

    cases: int
    to_caregiver_minutes: list[float]
    within_90: float
    offers_per_filled: float
    unfilled: int


def case_figures(results: Sequence[CaseResult], *, urgency: str | None = None) -> CaseFigures:
    """Summarise the cases of a day (only those of one urgency, when given)."""
    if urgency is not None:
        results = [r for r in results if r.urgency == urgency]
    times = [m for r in results if (m := r.minutes_to_caregiver) is not None]
    filled = [r for r in results if r.filled_at is not None]
    return CaseFigures(
        cases=len(results),
        to_caregiver_minutes=times,
        within_90=(sum(t <= 90 for t in times) / len(results)) if results else 0.0,
        offers_per_filled=(sum(r.offers for r in filled) / len(filled)) if filled else 0.0,
        unfilled=len(results) - len(filled),
    )


def phone_lines(f: PhoneFigures) -> list[str]:
    """Return the telephone figures as printable lines."""
    return [
        f"calls: {f.calls}",
        f"time to a person, minutes (median / p90 / max), first ring -> bridged or call-back connected: "
        f"{spread(f.to_person_minutes)} ({len(f.to_person_minutes)} callers)",
        f"call-backs chosen: {f.callbacks}; connected: {len(f.callback_minutes)}, first ring -> connected "
        f"{spread(f.callback_minutes)}, key 1 -> connected {spread(f.callback_delays)}; not answered: "
        f"{f.callbacks_failed}; not placed by the end: {f.callbacks_open}",
        f"voicemail without choosing it: {f.voicemail_unchosen}; chose voicemail (key 2): {f.voicemail_chosen}",
        f"longest queue: {f.max_queue}",
    ]


def case_lines(f: CaseFigures) -> list[str]:
    """Return the dispatch figures as printable lines."""
    return [
        f"cases dispatched: {f.cases}; time to a confirmed caregiver, minutes from the first ring "
        f"(median / p90 / max): {spread(f.to_caregiver_minutes)}",
        f"filled within 90 min: {f.within_90:.0%}; offers per filled case: {f.offers_per_filled:.1f}; "
        f"unfilled: {f.unfilled}",
    ]


def svg(day: PhoneDay, *, start_hour: int, end_hour: int, title: str) -> str:
    """Return an SVG: queue length (steps) and each caller's time to a person (dots) over the hours."""
    width, height, left, bottom, top = 760, 320, 50, 40, 30
    span = 3600.0 * (end_hour - start_hour)
    plot_w, plot_h = width - left - 60, height - bottom - top
    max_q = max(1, max((n for _, n in day.queue_length), default=0))
    waits = [(c.arrival, c.time_to_person / 60) for c in day.calls if c.time_to_person is not None]
    max_w = max(1.0, max((w for _, w in waits), default=1.0))

    def x(t: float) -> float:
        return left + plot_w * min(t, span) / span

    def yq(n: float) -> float:
        return top + plot_h * (1 - n / max_q)

    def yw(m: float) -> float:
        return top + plot_h * (1 - m / max_w)

    steps, last = [], 0
    for t, n in day.queue_length:
        steps.append(f"{x(t):.1f},{yq(last):.1f} {x(t):.1f},{yq(n):.1f}")
        last = n
    steps.append(f"{x(span):.1f},{yq(last):.1f}")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        f'font-size="11">',
        f'<title>{title}</title><rect width="100%" height="100%" fill="white"/>',
        f'<text x="{left}" y="18" font-size="13">{title}: queue length (line, left) and time to a person '
        f'(dots, minutes, right)</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="black"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="black"/>',
        f'<line x1="{left + plot_w}" y1="{top}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#c60"/>',
        f'<polyline fill="none" stroke="#036" stroke-width="1.5" points="{" ".join(steps)}"/>',
    ]
    for hour in range(start_hour, end_hour + 1):
        px = x(3600.0 * (hour - start_hour))
        parts.append(f'<text x="{px:.1f}" y="{top + plot_h + 15}" text-anchor="middle">{hour % 24}h</text>')
    for n in range(0, max_q + 1, max(1, max_q // 5)):
        parts.append(f'<text x="{left - 5}" y="{yq(n) + 4:.1f}" text-anchor="end">{n}</text>')
    for tick in range(0, math.ceil(max_w) + 1, max(1, math.ceil(max_w) // 5)):
        parts.append(f'<text x="{left + plot_w + 5}" y="{yw(tick) + 4:.1f}" fill="#c60">{tick}</text>')
    for t, m in waits:
        parts.append(f'<circle cx="{x(t):.1f}" cy="{yw(m):.1f}" r="2.5" fill="#c60" fill-opacity="0.7"/>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def goal_lines(phone: PhoneFigures, now_cases: CaseFigures | None, all_at_once: CaseFigures | None) -> list[str]:
    """Return issue 13's strike-morning goals, each with met / NOT met."""
    def mark(ok: bool) -> str:
        return "met" if ok else "NOT met"

    t = phone.to_person_minutes
    lines = [
        f"no caller in voicemail without choosing it: {mark(phone.voicemail_unchosen == 0)} "
        f"({phone.voicemail_unchosen})",
        f"time to a person median <= 2 min and p90 <= 10 min: "
        f"{mark(bool(t) and statistics.median(t) <= 2 and percentile(t, 90) <= 10)} ({spread(t)})",
        f"every call-back within 30 min: {mark(all(d <= 30 for d in phone.callback_delays) and not phone.callbacks_open)}"
        f" (key 1 -> connected {spread(phone.callback_delays)})",
    ]
    if now_cases is not None:
        c = now_cases.to_caregiver_minutes
        median_ok = bool(c) and statistics.median(c) <= 30
        lines.append(f"'now' cases: caregiver median <= 30 min: {mark(median_ok)}; >= 90 % within 90 min: "
                     f"{mark(now_cases.within_90 >= 0.9)} ({spread(c)}, {now_cases.within_90:.0%})")
        if all_at_once is not None and not all_at_once.to_caregiver_minutes:
            lines.append("'now' cases: fewer offers per filled case than everyone at once: n/a "
                         "(everyone at once filled none)")
        elif all_at_once is not None:
            lines.append(f"'now' cases: fewer offers per filled case than everyone at once: "
                         f"{mark(now_cases.offers_per_filled < all_at_once.offers_per_filled)} "
                         f"({now_cases.offers_per_filled:.1f} vs {all_at_once.offers_per_filled:.1f})")
    return lines

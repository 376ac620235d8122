"""One deadline at a time: `edit --set-deadline` and `--drop-deadline`, and the lines
that say what became of each deadline (`changes`) however they were edited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time

from fundwatch.domain.errors import BadValue
from fundwatch.domain.model import Call, Deadline, sort_deadlines
from fundwatch.domain.timeutil import city, parse_when


def when_text(d: Deadline) -> str:
    """``7 Jan 2027 17:00 (Brussels)``, or ``7 Jan 2027, all day (Brussels)``: as written,
    in the deadline's own zone."""
    at = d.at
    if isinstance(at, datetime):
        return f"{at.day} {at:%b %Y %H:%M} ({city(d.timezone)})"
    return f"{at.day} {at:%b %Y}, all day ({city(d.timezone)})"


def _name(d: Deadline) -> str:
    return d.label if d.label else "deadline"


def _moved(a: Deadline, b: Deadline) -> str:
    if a.instant == b.instant:
        return f"relabelled {when_text(b)}: '{a.label or ''}' to '{b.label or ''}'"
    if a.timezone == b.timezone:  # the zone said once
        return f"moved {_name(b)}: {when_text(a).rsplit(' (', 1)[0]} to {when_text(b)}"
    return f"moved {_name(b)}: {when_text(a)} to {when_text(b)}"


def _added(d: Deadline) -> str:
    return f"added {_name(d)}: {when_text(d)}"


def _removed(d: Deadline) -> str:
    return f"removed {_name(d)}: {when_text(d)}"


def changes(old: Sequence[Deadline], new: Sequence[Deadline]) -> list[str]:
    """One line per deadline removed, moved (the same label, or unlabelled ones paired in
    time order), relabelled (the same instant) or added, in time order."""
    left = [d for d in old if not any(n.instant == d.instant and n.label == d.label for n in new)]
    right = [d for d in new if not any(o.instant == d.instant and o.label == d.label for o in old)]
    pairs: list[tuple[Deadline, Deadline]] = []
    for by_label in (False, True):  # the same instant first, then the same label
        for a in list(left):
            b = next((b for b in right if _same(a, b, by_label)), None)
            if b is not None:
                pairs.append((a, b))
                left.remove(a)
                right.remove(b)
    unlabelled_a = [d for d in left if d.label is None]
    unlabelled_b = [d for d in right if d.label is None]
    for a, b in zip(unlabelled_a, unlabelled_b, strict=False):
        pairs.append((a, b))
        left.remove(a)
        right.remove(b)
    said = [(a, _moved(a, b)) for a, b in pairs]
    said += [(d, _removed(d)) for d in left] + [(d, _added(d)) for d in right]
    order = {id(d): i for i, d in enumerate(sort_deadlines([d for d, _ in said]))}
    return [text for _, text in sorted(said, key=lambda pair: order[id(pair[0])])]


def _same(a: Deadline, b: Deadline, by_label: bool) -> bool:
    if by_label:
        return a.label is not None and a.label == b.label
    return a.instant == b.instant


def _labelled(call: Call, label: str) -> list[int]:
    folded = label.strip().casefold()
    return [i for i, d in enumerate(call.deadlines) if (d.label or "").casefold() == folded]


def _labels(call: Call) -> str:
    labels = [d.label for d in call.deadlines if d.label]
    return f"its labels: {', '.join(labels)}" if labels else "its deadlines have no labels"


def set_deadline(call: Call, text: str, default_time: time | None) -> Call:
    """``Cut-off 2=11/03/2027 17:00``: the deadline with that label (any case) changed,
    or added when the call has none. Without a label, the call's one unlabelled
    deadline is changed (or one added when it has none)."""
    given = _parse(text, call.timezone, default_time)
    deadlines = list(call.deadlines)
    if given.label is not None:
        places = _labelled(call, given.label)
        if len(places) > 1:  # which one? changing the first would be a guess
            raise BadValue(
                f"--set-deadline: {call.id} has {len(places)} deadlines labelled '{given.label}'",
                hint="remove them with --drop-deadline LABEL, then set each under its own label",
            )
    else:
        places = [i for i, d in enumerate(deadlines) if d.label is None]
        if len(places) > 1:
            raise BadValue(
                f"--set-deadline: {call.id} has {len(places)} deadlines without a label",
                hint="remove them with --deadline, or give each a label by hand",
            )
    if not places:
        deadlines.append(given)
        return call.replace(deadlines=sort_deadlines(deadlines))
    old = deadlines[places[0]]
    # the deadline keeps its label as written, its own zone and its other keys
    at = given.at
    if old.timezone != given.timezone:
        at = _parse(text, old.timezone, default_time).at
    new = Deadline(at, old.timezone, old.label, old.extra)
    if new == old:
        return call
    deadlines[places[0]] = new
    return call.replace(deadlines=sort_deadlines(deadlines))


def _parse(text: str, tz: str, default_time: time | None) -> Deadline:
    from fundwatch.domain.fields import parse_deadline

    try:
        found = parse_deadline(text, tz, default_time)
    except BadValue as exc:
        message = exc.message.removeprefix("--deadline: ")
        raise BadValue(f"--set-deadline: {message}", exc.hint) from None
    if found is None:  # "TBC": no date
        raise BadValue(
            f"--set-deadline: '{text}' gives no date",
            hint="to remove a deadline, use --drop-deadline LABEL",
        )
    return found


def drop_deadline(call: Call, label: str) -> Call:
    """The deadline(s) with that label (any case) removed; failing a label, those on the
    date (or at the date and time) given."""
    places = _labelled(call, label)
    if not places and label.strip():
        try:
            when: date | datetime | None = parse_when(label, call.timezone)
        except BadValue:
            when = None
        if isinstance(when, datetime):
            places = [i for i, d in enumerate(call.deadlines) if d.at == when]
        elif when is not None:
            places = [i for i, d in enumerate(call.deadlines) if _day_of(d.at) == when]
    if not places:
        raise BadValue(
            f"--drop-deadline: {call.id} has no deadline labelled '{label}'", hint=_labels(call)
        )
    kept = tuple(d for i, d in enumerate(call.deadlines) if i not in places)
    return call.replace(deadlines=kept)


def _day_of(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value

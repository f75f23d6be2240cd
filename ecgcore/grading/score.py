"""The itemised score: what each finding costs under a rubric.

Every point lost is a :class:`PointLoss` naming the item, the finding code,
the leads and the points. Within an item, losses are taken in the order the
findings were raised until the item's points are used up (a code's own
``max`` caps it first), so the losses always add up to what the item lost.
The score is the points kept, scaled to 0-100.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from ecgcore.grading.findings import Finding
from ecgcore.grading.rubric import Rubric

__all__ = ["ItemScore", "PointLoss", "Score", "score_findings"]


@dataclasses.dataclass(frozen=True)
class PointLoss:
    """Points lost for one finding in one item."""

    item: str
    code: str
    leads: tuple[str, ...]
    points: float
    message: str

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "item": self.item,
            "code": self.code,
            "leads": list(self.leads),
            "points": round(self.points, 3),
            "message": self.message,
        }


@dataclasses.dataclass(frozen=True)
class ItemScore:
    """One rubric item: points available, lost, kept and the losses."""

    id: str
    title: str
    points: float
    lost: float
    losses: tuple[PointLoss, ...]

    @property
    def kept(self) -> float:
        """Points kept."""
        return self.points - self.lost

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "id": self.id,
            "title": self.title,
            "points": self.points,
            "lost": round(self.lost, 3),
            "kept": round(self.kept, 3),
            "losses": [loss.to_json() for loss in self.losses],
        }


@dataclasses.dataclass(frozen=True)
class Score:
    """The score of one recording under one rubric.

    Attributes
    ----------
    score : float
        0-100.
    passed : bool
        Score at least the pass mark, no ``fail_on`` finding, and acceptable
        when the rubric requires it.
    items : tuple of ItemScore
    fail_reasons : tuple of str
        Why the practical failed (empty when passed).
    unscored : tuple of str
        Codes found that the rubric does not score.
    """

    score: float
    passed: bool
    items: tuple[ItemScore, ...]
    fail_reasons: tuple[str, ...]
    unscored: tuple[str, ...]


def score_findings(findings: Sequence[Finding], rubric: Rubric, *, acceptable: bool) -> Score:
    """Apply ``rubric`` to ``findings``.

    Parameters
    ----------
    findings : sequence of Finding
        Everything the checks raised, in order.
    rubric : Rubric
        The rubric.
    acceptable : bool
        Whether the recording is diagnostically usable.
    """
    items = []
    for item in rubric.items:
        remaining = item.points
        per_code: dict[str, float] = {}
        losses = []
        for f in findings:
            ded = item.deductions.get(f.code)
            if ded is None or remaining <= 0:
                continue
            cost = ded.cost(f.severity, len(f.leads))
            cap = ded.max if ded.max is not None else item.points
            cost = min(cost, cap - per_code.get(f.code, 0.0), remaining)
            if cost <= 0:
                continue
            per_code[f.code] = per_code.get(f.code, 0.0) + cost
            remaining -= cost
            losses.append(PointLoss(item.id, f.code, f.leads, cost, f.message))
        items.append(
            ItemScore(item.id, item.title, item.points, item.points - remaining, tuple(losses))
        )
    total = rubric.total_points
    kept = sum(i.kept for i in items)
    score = round(100.0 * kept / total, 2) if total > 0 else 0.0
    reasons = []
    if score < rubric.pass_mark:
        reasons.append(f"score {score:g} is below the pass mark {rubric.pass_mark:g}")
    critical = [f for f in findings if f.code in rubric.fail_on]
    for f in critical:
        where = f" ({', '.join(f.leads)})" if f.leads else ""
        reasons.append(f"critical error {f.code}{where}")
    if rubric.require_acceptable and not acceptable:
        reasons.append("the tracing is not diagnostically usable")
    unscored = tuple(dict.fromkeys(f.code for f in findings if rubric.item_for(f.code) is None))
    return Score(score, not reasons, tuple(items), tuple(reasons), unscored)

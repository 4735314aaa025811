"""The label set: fixed ids in a fixed order."""

from __future__ import annotations

__all__ = ["LABELS", "LABEL_NAMES", "validate_labels"]

LABELS: tuple[str, ...] = (
    "elderly_care",
    "old_neighbourhood_retrofit",
    "elevator_power_hookup",
    "business_connection_speed",
    "volunteer_work",
)

LABEL_NAMES: dict[str, str] = {
    "elderly_care": "services for elderly people",
    "old_neighbourhood_retrofit": "power upgrades of old residential compounds",
    "elevator_power_hookup": "power for elevators added to existing buildings",
    "business_connection_speed": "faster / easier power connection for enterprises and projects",
    "volunteer_work": "volunteer and charity activity",
}


def validate_labels(labels: list[str] | tuple[str, ...], where: str) -> tuple[str, ...]:
    """Return ``labels`` in canonical order; raise ``ValueError`` naming ``where`` for unknown ids.

    Example:
        >>> validate_labels(["volunteer_work", "elderly_care"], "x")
        ('elderly_care', 'volunteer_work')
    """
    unknown = [lab for lab in labels if lab not in LABELS]
    if unknown:
        raise ValueError(f"{where}: unknown label id {unknown[0]!r}; valid ids: {', '.join(LABELS)}")
    if len(set(labels)) != len(labels):
        raise ValueError(f"{where}: a label is listed twice: {list(labels)}")
    return tuple(lab for lab in LABELS if lab in labels)

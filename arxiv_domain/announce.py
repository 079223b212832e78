"""Announce types: how a listing entry relates to the monitored categories on its announcement day."""

from __future__ import annotations

ANNOUNCE_TYPES = ("new", "cross", "replace", "replace-cross")


def classify(row: dict, monitored: set[str], is_new: bool) -> str:
    """new / cross (a new submission whose primary category is monitored, or only cross-listed into
    one); replace / replace-cross (a new version, same distinction)."""
    primary_monitored = row["primary_category"] in monitored
    if is_new:
        return "new" if primary_monitored else "cross"
    return "replace" if primary_monitored else "replace-cross"

import dagster as dg

DAY_GROUPS = ("ingest", "analyse", "publish")


def daily_job(lab: bool):
    """One announcement day end to end; in a lab, its shared stages (each reader's partitions of the day follow
    them: `orchestration/definitions.py`, the automation sensor)."""
    return dg.define_asset_job(
        "daily_digest", selection=dg.AssetSelection.groups(*(DAY_GROUPS[:2] if lab else DAY_GROUPS)),
        description="One announcement day end to end: listings, filter, full text, analyses, report."
        if not lab else "One announcement day's shared stages: listings, each reader's filter, full text, analyses.")


daily_digest = daily_job(lab=False)

weekly_digest = dg.define_asset_job(
    "weekly_digest_job",
    selection=dg.AssetSelection.groups("weekly"),
    description="One week (Monday to Sunday) from its daily partitions: the digest, its pages, its delivery "
    "(in a lab, each reader's).",
)

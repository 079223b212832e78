import dagster as dg

daily_digest = dg.define_asset_job(
    "daily_digest",
    selection=dg.AssetSelection.groups("ingest", "analyse", "publish"),
    description="One announcement day end to end: listings, filter, full text, analyses, report.",
)

weekly_digest = dg.define_asset_job(
    "weekly_digest_job",
    selection=dg.AssetSelection.groups("weekly"),
    description="One week (Monday to Sunday) from its daily partitions: the digest, its pages, its delivery.",
)

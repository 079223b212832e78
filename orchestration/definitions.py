"""Everything Dagster loads: `dagster dev -w workspace.yaml` / `dagster definitions validate`.

Built by `defs()`, which Dagster calls when it loads the code location: settings are read and
validated then, once, never at import.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from assets import build_assets, build_weekly_assets
from assets.partitions import announcement_days, weekly_partitions
from orchestration.checks import build_checks
from orchestration.jobs import daily_job, weekly_digest
from orchestration.schedules import daily_schedule_of, weekly_schedule
from resources.configured import build_resources
from resources.settings import Settings, load_settings


@dataclass(frozen=True)
class Pipeline:
    """The assets (chain order), their checks and the resources of one configuration."""

    assets: list[dg.AssetsDefinition]
    checks: list[dg.AssetChecksDefinition]
    resources: dict
    partitions: dg.DailyPartitionsDefinition
    weekly: list[dg.AssetsDefinition]  # weekly_digest, weekly_delivery: over `weeks` (× readers in a lab)
    weeks: dg.WeeklyPartitionsDefinition
    readers: tuple[str, ...] = ()  # a lab's readers, each reader's assets' second dimension; () for one reader

    def partition_keys(self, asset: dg.AssetsDefinition, key: str, readers: list[str] | None = None) -> list:
        """The partitions of `asset` for the day (or week) `key`: that key, or per reader (`readers`: some)."""
        if not isinstance(asset.partitions_def, dg.MultiPartitionsDefinition):
            return [key]
        time = next(d.name for d in asset.partitions_def.partitions_defs if d.name != "reader")
        return [dg.MultiPartitionKey({time: key, "reader": r}) for r in (readers or self.readers)]

    def asset(self, name: str) -> dg.AssetsDefinition:
        found = [a for a in self.assets + self.weekly if a.key.to_user_string() == name]
        if not found:
            raise KeyError(f"no asset {name!r}; assets: {[a.key.to_user_string() for a in self.assets + self.weekly]}")
        return found[0]

    def assets_named(self, *names: str) -> list[dg.AssetsDefinition]:
        return [self.asset(name) for name in names]


def build_pipeline(settings: Settings, **resource_overrides: dict) -> Pipeline:
    partitions = announcement_days(settings.start_date)
    weeks = weekly_partitions(settings.start_date)
    readers = tuple(r.name for r in settings.get("readers", "readers"))
    assets = build_assets(partitions, settings.step_retry_delay_seconds, list(readers))
    report = next(a for a in assets if a.key.to_user_string() == "daily_report")
    return Pipeline(assets, build_checks(report), build_resources(settings, **resource_overrides), partitions,
                    build_weekly_assets(weeks, list(readers)), weeks, readers)


# In a lab, each reader's partitions of a day are materialised by Dagster's automation once the day's shared
# stages are (the assets' AutomationCondition.eager(): assets/partitions.py), so the daily schedule runs those.
READERS_FOLLOW = "readers_follow_the_shared_day"


def build_definitions(settings: Settings) -> dg.Definitions:
    pipeline = build_pipeline(settings)
    lab = bool(pipeline.readers)
    daily = daily_job(lab)
    sensors = [dg.AutomationConditionSensorDefinition(
        READERS_FOLLOW, target=dg.AssetSelection.groups("publish"),
        default_status=dg.DefaultSensorStatus.RUNNING)] if lab else []
    return dg.Definitions(assets=pipeline.assets + pipeline.weekly, asset_checks=pipeline.checks,
                          jobs=[daily, weekly_digest], schedules=[daily_schedule_of(daily), weekly_schedule],
                          sensors=sensors, resources=pipeline.resources)


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(load_settings())

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
from orchestration.jobs import daily_digest, weekly_digest
from orchestration.schedules import daily_schedule, weekly_schedule
from resources.configured import build_resources
from resources.settings import Settings, load_settings


@dataclass(frozen=True)
class Pipeline:
    """The assets (chain order), their checks and the resources of one configuration."""

    assets: list[dg.AssetsDefinition]
    checks: list[dg.AssetChecksDefinition]
    resources: dict
    partitions: dg.DailyPartitionsDefinition
    weekly: list[dg.AssetsDefinition]  # weekly_digest, weekly_delivery: over `weeks`
    weeks: dg.WeeklyPartitionsDefinition

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
    assets = build_assets(partitions, settings.step_retry_delay_seconds)
    report = next(a for a in assets if a.key.to_user_string() == "daily_report")
    return Pipeline(assets, build_checks(report), build_resources(settings, **resource_overrides), partitions,
                    build_weekly_assets(partitions, weeks), weeks)


def build_definitions(settings: Settings) -> dg.Definitions:
    pipeline = build_pipeline(settings)
    return dg.Definitions(assets=pipeline.assets + pipeline.weekly, asset_checks=pipeline.checks,
                          jobs=[daily_digest, weekly_digest], schedules=[daily_schedule, weekly_schedule],
                          resources=pipeline.resources)


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(load_settings())

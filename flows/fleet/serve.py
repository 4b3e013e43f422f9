"""Serve the fleet flows with their schedules (`python -m flows.fleet.serve`, started by `referral dev` and by the
compose file's flows service). Needs PREFECT_API_URL (a Prefect server) and the REFERRAL_* settings of the
workers. Schedules are in hospital time (Asia/Seoul): bulk intake of the nightly scan export at 02:00, the
operations report at 07:00; the review reconciler every few minutes; re-processing runs on demand with its
parameters."""

from __future__ import annotations

from prefect import serve
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron, Interval

from flows.fleet.bulk_intake import bulk_intake
from flows.fleet.report import daily_operations_report
from flows.fleet.reprocess import reprocess_summaries
from flows.fleet.review_reconciler import reconcile_reviews
from referral.config import Settings

TIMEZONE = "Asia/Seoul"
# runs load their flow as `flows.fleet.report:…`, not from a file path: a file path would put flows/ first on sys.path,
# where flows/referral/ (the workflow package) hides the `referral` package
MODULE = EntrypointType.MODULE_PATH


def _built(deployment: object) -> RunnerDeployment:
    assert isinstance(deployment, RunnerDeployment), "build deployments outside an event loop"
    return deployment


def deployments(settings: Settings) -> list[RunnerDeployment]:
    data = settings.data_dir.resolve()
    drop, reports = settings.intake_root_path, data / "reports"
    drop.mkdir(parents=True, exist_ok=True)
    reports.mkdir(parents=True, exist_ok=True)
    built = [
        bulk_intake.to_deployment(
            name="nightly-drop-folder", schedules=[Cron(settings.bulk_intake_cron, timezone=TIMEZONE)],
            parameters={"drop_folder": str(drop)}, description="의뢰 일괄 접수 / bulk intake of the scan export",
            entrypoint_type=MODULE,
        ),
        daily_operations_report.to_deployment(
            name="daily", schedules=[Cron(settings.report_cron, timezone=TIMEZONE)],
            parameters={"out_dir": str(reports)}, description="운영 보고서 / daily operations report",
            entrypoint_type=MODULE,
        ),
        reconcile_reviews.to_deployment(
            name="review-reconciler", schedules=[Interval(settings.review_reconcile_every_s)],
            # each run looks back three intervals: a late or failed run loses no decision
            parameters={"window_s": 3 * settings.review_reconcile_every_s},
            description="검토 결정 확인 / hint referrals whose review tasks changed", entrypoint_type=MODULE,
        ),
        reprocess_summaries.to_deployment(
            name="on-demand", description="재처리 / re-run summaries with a new model version (run with parameters)",
            entrypoint_type=MODULE,
        ),
    ]  # fmt: skip
    return [_built(d) for d in built]


def main() -> None:
    # Stopping the stack must not pause the schedules: they run again when it comes back.
    serve(*deployments(Settings()), pause_on_shutdown=False)


if __name__ == "__main__":
    main()

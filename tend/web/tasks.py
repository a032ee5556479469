"""The web's work on the worker (Huey finds `tasks` modules): a rule's backtest started from
the status model's editor, which can take a while over many customers and steps; the page
shows its progress from the cache and its result when done (tend.status.backtest)."""

from huey.contrib.djhuey import db_task


@db_task()
def run_backtest_job(token: str) -> str:
    from tend.status.backtest import run_job

    return run_job(token)

"""Settings read from the environment when a command or service starts (never at import).

``ATTRITION_HOME`` (default ``./var``): models, scores and, by default, the store's
SQLite file. ``ATTRITION_DATABASE_URL``: the store on another database (e.g.
``postgresql+psycopg://user@host/db``). ``ATTRITION_BRANCH_HEAD_RM_NAMES``: whether the
risk API shows a branch head their own RMs' flight risk by name (default: no; RM risk
is HR-confidential). ``ATTRITION_SCORE_MAX_ROWS``: the most rows one ``POST /v1/score``
may carry, over all its tables (default 5,000; the request is refused, not cut).
``ATTRITION_MAX_BODY_BYTES``: the largest request body the risk API reads (default
8 MiB; larger ones are a 413). ``ATTRITION_PLAYBOOK``: the retention playbook the
service reads (default: the shipped one). ``ATTRITION_API_KEY_CACHE_SECONDS`` (default
5): how long the risk API trusts a key it has verified before reading the key table
again, so a revoked key is refused within that many seconds (0: checked every time).
``ATTRITION_API_THREADS`` (default 16): threads per worker for the risk API's routes.
``ATTRITION_REPORTS_CONFIG``: the reports' ``reports.yaml`` (default
``$ATTRITION_HOME/reports.yaml``).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """The product's settings (environment variables ``ATTRITION_*``)."""

    model_config = SettingsConfigDict(env_prefix="ATTRITION_", extra="ignore", frozen=True)

    home: Path = Path("var")
    database_url: str | None = None
    # the risk API: may a branch head read their own branch's RMs by name (HR's call)?
    branch_head_rm_names: bool = False
    # POST /v1/score scores while the caller waits: a bound on its rows keeps one call
    # from holding a worker for minutes (bulk scoring is `attrition score`)
    score_max_rows: int = Field(5_000, gt=0)
    # the retention playbook the service reads (tier horizon, actions); the shipped one
    # by default, as `attrition score` without --playbook
    playbook: Path | None = None
    # the risk API: request bodies above this are refused (413) before anything parses
    # them; a POST /v1/score of one RM's book with its records is about 2 MB
    max_body_bytes: int = Field(8 * 1024 * 1024, gt=0)
    # the risk API's threads per worker for its sync routes (reads, what-if, scoring)
    api_threads: int = Field(16, ge=1, le=256)
    # the risk API remembers a valid key this long: a revoked key is refused within it
    api_key_cache_seconds: float = 5.0
    # which reports go to whom and when (`attrition reports`, `attrition scheduler`)
    reports_config: Path | None = None

    @property
    def reports_path(self) -> Path:
        """``reports_config``, or ``reports.yaml`` in ``home``."""
        return self.reports_config or self.home / "reports.yaml"

    @property
    def store_url(self) -> str:
        """``database_url``, or the SQLite file ``attrition.db`` in ``home``."""
        from attrition.store.engine import default_store_url

        return default_store_url(self.home, self.database_url)


def load_settings() -> Settings:
    """The settings as the environment holds them now."""
    return Settings()

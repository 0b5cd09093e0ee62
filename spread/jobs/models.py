"""Queue task: fit the current model version once per profiles version and store it."""
from __future__ import annotations

import logging

from spread.matchmaking import store
from spread.queue import app_task

logger = logging.getLogger(__name__)


@app_task(retries=2, retry_delay=30)
def fit_model(version: int) -> None:
    """Fit and store the current model at ``version`` unless a process stored it already."""
    loaded = store.current_fitted_model(version)
    logger.info("model version %s at profiles version %s is stored", loaded.model_version,
                loaded.profiles_version)

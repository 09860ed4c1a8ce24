"""The Celery app of the versioned stand-in: `celery -A versioned_celery` (orion:appCeleryApp).

The stand-in's Celery app (acks_late, prefetch 1) with one more task, which
sleeps before it writes its row: a worker stopped warm must finish it.
"""
import os
import time

from app import db
from app.celery_app import app  # noqa: F401  (celery -A finds `app` here)


@app.task(name="release.slow_row", acks_late=True)
def slow_row(note="", seconds=2.0):
    time.sleep(float(seconds))
    return db.insert_row(written_by="celery-" + os.environ.get("ORION_VERSION", "unset"), note=note)

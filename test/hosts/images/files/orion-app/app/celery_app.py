"""The Celery app of `celery -A app.celery_app`: broker from CELERY_BROKER_URL,
through Sentinel when CELERY_BROKER_MASTER_NAME is set."""
import os

from celery import Celery

app = Celery("orion", broker=os.environ["CELERY_BROKER_URL"], include=["app.tasks"])

master = os.environ.get("CELERY_BROKER_MASTER_NAME")
if master:
    app.conf.broker_transport_options = {"master_name": master}

app.conf.update(
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    # celery-beat: one row a minute shows the scheduler runs.
    beat_schedule={"beat-row": {"task": "app.tasks.write_row", "schedule": 60.0, "args": ("beat",)}},
)

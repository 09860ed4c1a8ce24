from app import db
from app.celery_app import app


@app.task(name="app.tasks.write_row")
def write_row(note=""):
    """Writes one row from the worker that runs the task (its host name is the container's)."""
    return db.insert_row(written_by="celery", note=note)

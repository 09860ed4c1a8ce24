"""The stand-in API with a version: `uvicorn versioned:app` (orion:appApiModule).

Each release of the test bed's app is the stand-in image with ORION_VERSION
set and these files added; /version says which one answered, /slow-tasks
queues tasks that run for a while, so a release stops workers mid-task.
"""
import os

from main import app
from versioned_celery import slow_row


@app.get("/version")
def version():
    return {"version": os.environ.get("ORION_VERSION", "unset")}


@app.post("/slow-tasks")
def slow_task(note: str = "", seconds: float = 2.0):
    return {"task": slow_row.delay(note, seconds).id}

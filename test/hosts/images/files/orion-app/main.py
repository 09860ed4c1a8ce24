"""Orion stand-in API: the contract the compose files assume of the real app.

`uvicorn main:app`, `/health` (answers without the database, so a load
balancer keeps a server whose API runs), `/metrics` with
`http_request_duration_seconds`, one endpoint that writes a row and one that
queues a Celery task that writes a row.
"""
import time

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Histogram, generate_latest

from app import db
from app.tasks import write_row

app = FastAPI(title="Orion stand-in")

REQUEST_DURATION = Histogram("http_request_duration_seconds", "Time spent answering HTTP requests", ["method", "path", "status"])


@app.middleware("http")
async def measure(request: Request, call_next):
    started = time.perf_counter()
    response = await call_next(request)
    route = request.scope.get("route")
    path = getattr(route, "path", "unmatched")
    REQUEST_DURATION.labels(request.method, path, str(response.status_code)).observe(time.perf_counter() - started)
    return response


@app.get("/health")
def health():
    return {"status": "ok"}


@app.get("/metrics")
def metrics():
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@app.post("/rows")
def add_row(note: str = ""):
    """Writes one row through DATABASE_URL and answers once it is committed."""
    return {"id": db.insert_row(written_by="api", note=note)}


@app.get("/rows/count")
def count_rows():
    return {"count": db.count_rows()}


@app.post("/tasks")
def add_task(note: str = ""):
    """Queues a Celery task that writes a row; answers once the broker has it."""
    return {"task": write_row.delay(note).id}

"""Database access as the real app does it: DATABASE_URL for queries (through
PgBouncer where the stage has it), DATABASE_URL_DIRECT for schema changes, a
pool of DB_POOL_SIZE + DB_MAX_OVERFLOW connections per process."""
import os
import threading

import psycopg2
from psycopg2.pool import ThreadedConnectionPool

_pool = None
_lock = threading.Lock()
_schema_ready = False

SCHEMA = """
CREATE TABLE IF NOT EXISTS rows (
    id bigserial PRIMARY KEY,
    written_by text NOT NULL,
    host text NOT NULL,
    note text NOT NULL DEFAULT '',
    written_at timestamptz NOT NULL DEFAULT now()
)
"""


def _ensure_schema():
    global _schema_ready
    if _schema_ready:
        return
    # Schema changes need a session of their own: the direct URL, never the pooled one.
    conn = psycopg2.connect(os.environ["DATABASE_URL_DIRECT"], connect_timeout=5)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(20261128)")
            cur.execute(SCHEMA)
            cur.execute("SELECT pg_advisory_unlock(20261128)")
    finally:
        conn.close()
    _schema_ready = True


def _get_pool():
    global _pool
    with _lock:
        if _pool is None:
            size = int(os.environ.get("DB_POOL_SIZE", "5"))
            overflow = int(os.environ.get("DB_MAX_OVERFLOW", "0"))
            # As SQLAlchemy's QueuePool: DB_POOL_SIZE connections stay open between requests, the overflow closes when returned.
            _pool = ThreadedConnectionPool(size, size + overflow, os.environ["DATABASE_URL"], connect_timeout=5)
        return _pool


def _run(query, args=()):
    _ensure_schema()
    pool = _get_pool()
    conn = pool.getconn()
    broken = False
    try:
        with conn:
            with conn.cursor() as cur:
                cur.execute(query, args)
                return cur.fetchone()[0]
    except (psycopg2.OperationalError, psycopg2.InterfaceError):
        # The server went away (a restart, a move): drop this connection, as SQLAlchemy's pre-ping would.
        broken = True
        raise
    finally:
        pool.putconn(conn, close=broken or conn.closed != 0)


def insert_row(written_by, note=""):
    import socket

    return _run("INSERT INTO rows (written_by, host, note) VALUES (%s, %s, %s) RETURNING id", (written_by, socket.gethostname(), note))


def count_rows():
    return _run("SELECT count(*) FROM rows")

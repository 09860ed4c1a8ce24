"""The versioned stand-in's migration (orion:appMigrateCommand: python migrate.py).

Records each run in a table of its own: the version, the host and port of
DATABASE_URL (the release must hand it the direct URL), and the time. A
version whose name ends in -broken fails, as a migration with a bug would.
"""
import os
import sys
import time
from urllib.parse import urlparse

import psycopg2

version = os.environ.get("ORION_VERSION", "unset")
url = urlparse(os.environ["DATABASE_URL"])
if version.endswith("-broken"):
    print(f"migration {version}: relation \"stores\" does not exist", file=sys.stderr)
    sys.exit(1)
conn = psycopg2.connect(os.environ["DATABASE_URL"], connect_timeout=10)
conn.autocommit = True
with conn.cursor() as cur:
    cur.execute(
        "CREATE TABLE IF NOT EXISTS migrations (id bigserial PRIMARY KEY, version text NOT NULL, url_host text NOT NULL, ran_at timestamptz NOT NULL DEFAULT clock_timestamp())"
    )
    # A migration takes a moment: requests and tasks go on meanwhile.
    time.sleep(1)
    cur.execute("INSERT INTO migrations (version, url_host) VALUES (%s, %s)", (version, f"{url.hostname}:{url.port}"))
conn.close()
print(f"migration {version}: done through {url.hostname}:{url.port}")

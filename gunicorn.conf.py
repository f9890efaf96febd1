"""gunicorn's settings file, read from the directory gunicorn starts in (the project root).

With PROMETHEUS_MULTIPROC_DIR set, each worker writes its metrics into that directory (portal/metrics.py): when a
worker exits, its live gauges are dropped so the scrape sums only the workers that run.
"""

import os


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

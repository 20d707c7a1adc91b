"""gunicorn settings; every one says why.

Run: gunicorn --config gunicorn.conf.py 'service:create_app()'
"""

import gc
import os

# PORT is what `make run` and the Dockerfile pass; 8000 is the documented default.
bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"

# Scoring is CPU-bound and a worker holds one model (~100 MB): one worker per core.
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 2))

# Sync workers: requests are short CPU work, no long polling.
worker_class = "sync"

# A batch of 1,000 ordinary comments scores in under half a second. The slowest batch we could
# build inside MODERATION_MAX_BATCH_CHARS took 9 to 23 s (docs/benchmarks.md), and a batch still
# scoring after MODERATION_BATCH_SECONDS (20) gets 413, so 30 s only catches a stuck worker.
timeout = 30
graceful_timeout = 30

# Load the app in each worker, not the master: each worker then opens its own database
# connections and can reload a promoted model on its own without a master restart.
preload_app = False

# Recycle workers now and then so slow leaks cannot grow; jitter keeps them from restarting
# together.
max_requests = 20_000
max_requests_jitter = 2_000

# Logs to stdout/stderr: the container or the process manager collects them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")

# gunicorn 27 opens a control socket for `gunicornc` under $HOME/.gunicorn by default. Nothing
# here uses it; in the container $HOME (/app) is not writable, so every start logged an error,
# and two servers run by one user (tests, a second port) would share one socket path.
control_socket_disable = True


def post_worker_init(worker):
    """Leave what the app factory loaded out of the cyclic garbage collector's full passes.

    The imported libraries, the model and the keyword lists are about 142,000 tracked objects a
    full collection scans for nothing, since they live as long as the worker: the longest full
    collection over 15,000 comments, held by whichever request it lands in, 147 ms unfrozen and
    53 ms frozen (python -m benchmarks.gc_pauses; docs/benchmarks.md)."""
    gc.freeze()

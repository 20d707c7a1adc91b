"""gunicorn settings for the benchmarks: none. Both apps run on gunicorn's defaults plus the
command-line flags, so the project's gunicorn.conf.py (workers, logs, recycling) does not tilt
the comparison."""

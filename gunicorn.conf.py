"""gunicorn's settings for Marsa, read by gunicorn whenever it starts in this folder.

Command-line flags override these (``gunicorn --workers 4 'app:create_app()'``); the environment
variables below let a deployment tune them without editing the file. docs/DEPLOYMENT.md explains
the choices; docs/PERFORMANCE.md measures them.
"""
import gc
import os

wsgi_app = "app:create_app()"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# One thread per worker by default: Marsa's requests spend their time in Python, not waiting, so on a
# small server threads only share one interpreter lock and a worker's memory grows by their stacks
# and connections (docs/PERFORMANCE.md compares both). With a database on another host, where each
# query waits on the network, GUNICORN_THREADS=4 lets a worker serve others meanwhile; the app keeps
# one database session per thread.
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# The app (code, templates, translations, the course's Markdown renderer) is built once in the
# master and shared by the workers' memory pages until they write to them: each worker then adds
# only what it allocates itself. A new release needs a restart (not a HUP) to load new code.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"
# A worker is replaced after this many requests (with jitter, so not all at once): a slow leak in
# any library cannot grow a worker without bound on a server that runs for months.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
# Officers' browsers keep connections open between autosaves.
keepalive = 5


def on_starting(server):
    """No garbage collection in the master while it loads the app: collections would leave holes in
    the pages the workers are about to share. A deployment declared single-process (its rate limits
    are counted in memory) must not start several workers."""
    if os.environ.get("MARSA_SINGLE_PROCESS") == "1" and server.cfg.workers > 1:
        raise SystemExit(f"MARSA_SINGLE_PROCESS=1 declares one app process, but gunicorn would start "
                         f"{server.cfg.workers} workers: set WEB_CONCURRENCY=1, or use Redis for the limits.")
    gc.disable()


def when_ready(server):
    """Before the first worker is forked: build what every worker would otherwise build for itself
    (templates, translations; ``app.warm_up``), so that the workers share it."""
    if not preload_app:
        return
    application = server.app.wsgi()
    if "marsa.db" in getattr(application, "extensions", {}):  # Marsa, not another app under this file
        from app import warm_up
        warm_up(application)


def pre_fork(server, worker):
    """Everything the master built is moved out of the collector's sight before a worker is forked,
    so a worker's collections never write to (and so privately copy) the pages it shares with the
    others. What a worker allocates itself is collected as usual (``post_fork``)."""
    gc.freeze()


def post_fork(server, worker):
    """Each worker opens its own database connections: a connection inherited from the master
    would be one socket shared by several processes."""
    gc.enable()
    from course.extensions import db
    if db.engine is not None:
        db.engine.dispose(close=False)

"""gunicorn settings for spread's app servers: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

Every value can be overridden with the environment variables named below.
"""
import multiprocessing
import os

bind = os.environ.get("SPREAD_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("SPREAD_WEB_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
threads = int(os.environ.get("SPREAD_WEB_THREADS", "4"))
worker_class = "gthread"
# A request taking longer than this is killed (pairing runs are in the queue, not here).
timeout = int(os.environ.get("SPREAD_WEB_TIMEOUT", "60"))
# On SIGTERM, requests under way get this long to finish before the worker stops.
graceful_timeout = int(os.environ.get("SPREAD_WEB_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle workers now and then, so a slow leak never grows big.
max_requests = 2000
max_requests_jitter = 200
# Access log on stdout, errors on stderr: the service manager collects both.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(L)ss rid=%({x-request-id}o)s'
forwarded_allow_ips = os.environ.get("SPREAD_FORWARDED_ALLOW_IPS", "127.0.0.1")

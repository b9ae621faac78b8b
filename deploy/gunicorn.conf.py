"""gunicorn's settings for the portal's web processes (the Procfile and the systemd unit start
gunicorn with this file). Each one the environment can move, like the portal's own settings.

Threads, not more processes, for concurrency: most of a request is waiting for PostgreSQL, and
threads share one process's memory. Workers: about one per core (WEB_CONCURRENCY), threads 4.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A slow client or a long CSV export holds a thread, not the worker: this is only how long a
# worker may go without telling the master it lives before it is replaced.
timeout = 30
# On a restart (a deploy), requests under way get this long to finish.
graceful_timeout = 30
keepalive = 5  # seconds an idle connection from the proxy is kept
# The proxies in front (nginx, a load balancer) say which requests were HTTPS; the portal takes
# the client's address from them (clicktodial_portal/forwarded.py). Trusted from these only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# gunicorn's control socket (for `gunicornc`) is by default one path per user
# (~/.gunicorn/gunicorn.ctl): two instances run by one user (two hosts' webs on one machine, a
# second portal) shared it, and one removed the other's while it ran. Nothing here uses it, so it
# is off; GUNICORN_CONTROL_SOCKET names a path for this instance alone to turn it on (under the
# unit's RuntimeDirectory, say /run/clicktodial/web.ctl).
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]

# One line a request on standard output, with its time in milliseconds; GUNICORN_ACCESS_LOG=""
# turns it off (the portal's own log lines say what matters about calls).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'

# LOG_FORMAT=json: gunicorn's own lines (its errors, the access log) as JSON objects too, like
# the portal's (clicktodial_portal/logs.py), so that one collector reads the whole output.
if os.environ.get("LOG_FORMAT") == "json":
    logconfig_dict = {
        "formatters": {"json": {"()": "clicktodial_portal.logs.JsonLogFormatter"}},
        "handlers": {
            "error": {"class": "logging.StreamHandler", "formatter": "json"},
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            },
        },
        "root": {"handlers": ["error"], "level": "INFO"},
        "loggers": {
            "gunicorn.error": {"handlers": ["error"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
    }

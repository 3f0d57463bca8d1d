"""gunicorn settings for eventyay: uvicorn workers serve HTTP and websockets (ASGI).

    gunicorn -c deployment/gunicorn.conf.py

Everything that differs between machines comes from the environment, so the same file serves
production (behind nginx, see deployment/nginx/) and local load tests:

    EVENTYAY_BIND               address to listen on (default 127.0.0.1:8000; several: comma-separated)
    EVENTYAY_WORKERS            worker processes (default: 2 per CPU core + 1)
    EVENTYAY_WORKER_TIMEOUT     seconds a worker may be silent before it is restarted (default 60)
    EVENTYAY_FORWARDED_ALLOW_IPS  proxies whose X-Forwarded-* headers are trusted (default 127.0.0.1)
    EVENTYAY_ACCESS_LOG         "-" for stdout (default), a file path, or "off"
    EVENTYAY_MAX_REQUESTS       requests after which a worker is replaced (default 10000; 0: never)

plus the usual EVENTYAY_* settings of the application itself.
"""

import multiprocessing
import os

wsgi_app = "eventyay.config.asgi:application"
# uvicorn with per-frame websocket compression off (see eventyay/config/server.py).
worker_class = "eventyay.config.server.UvicornWorker"

bind = [address.strip() for address in os.environ.get("EVENTYAY_BIND", "127.0.0.1:8000").split(",")]
workers = int(os.environ.get("EVENTYAY_WORKERS") or multiprocessing.cpu_count() * 2 + 1)

# Websocket connections stay open for hours; the timeout only catches a worker whose event loop
# is blocked, and graceful shutdown gives open requests time to finish on restart.
timeout = int(os.environ.get("EVENTYAY_WORKER_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5

# Recycle workers now and then so a slow leak in a plugin cannot grow without bound. Load tests
# turn it off: a worker replaced mid-measurement closes its keep-alive connections under the
# load generator.
max_requests = int(os.environ.get("EVENTYAY_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10

forwarded_allow_ips = os.environ.get("EVENTYAY_FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips

_access_log = os.environ.get("EVENTYAY_ACCESS_LOG", "-")
accesslog = None if _access_log == "off" else _access_log
errorlog = "-"
loglevel = os.environ.get("EVENTYAY_LOG_LEVEL", "info")

# The runtime control socket (gunicorn >= 25.1) would be created in the service user's home;
# systemd's HUP/TERM signals are all the control eventyay's units use.
control_socket_disable = True

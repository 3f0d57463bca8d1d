#!/bin/sh
# Container roles: web (migrate, collect static files, serve), worker, beat; anything else
# runs as a command, e.g. `docker compose run --rm web python -m eventyay createsuperuser`.
set -eu

case "${1:-web}" in
    web)
        python -m eventyay migrate --noinput
        python -m eventyay collectstatic --noinput --verbosity 0
        exec gunicorn -c /opt/eventyay/deployment/gunicorn.conf.py
        ;;
    worker)
        exec celery -A eventyay.config.celery worker --loglevel=INFO --concurrency="${EVENTYAY_CELERY_CONCURRENCY:-2}"
        ;;
    beat)
        exec celery -A eventyay.config.celery beat --loglevel=INFO --schedule=/data/celerybeat-schedule
        ;;
    *)
        exec "$@"
        ;;
esac

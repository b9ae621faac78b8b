# The two commands a new user needs: `make run` and `make test`. Both install from the lock file
# (uv.lock) into .venv first; nothing but Python 3.11+ is needed on the machine.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV_PYTHON := .venv/bin/python
# Use the machine's Python; never download one.
export UV_PYTHON_DOWNLOADS := never

.PHONY: run test bench install install-dev lint format messages reliability

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

install: $(UV)
	$(UV) sync --frozen --python $(PYTHON)

install-dev: $(UV)
	$(UV) sync --frozen --extra dev --python $(PYTHON)

# Migrate, create the demo data, then start the portal, a Celery worker and the sandbox operator.
run: install
	$(VENV_PYTHON) manage.py migrate --noinput
	$(VENV_PYTHON) manage.py collectstatic --noinput --verbosity 0
	$(VENV_PYTHON) manage.py compile_translations
	$(VENV_PYTHON) manage.py demo_setup
	rm -rf var/metrics  # the last run's Prometheus counts (clicktodial_portal/metrics.py)
	.venv/bin/honcho start -f Procfile

# PYTEST_ARGS: some tests only, or pytest's options. The browser tests drive Debian's Chromium and
# need a Chinese font (fonts-wqy-microhei), the slow-client test the deploy guide's nginx: installed
# here when missing and run as root (RUNLEVEL=1: Debian's package scripts then start no service,
# such as an nginx on port 80); otherwise those tests are skipped, saying what to install. The property-based tests run a smaller profile
# than under `make reliability` (tests/conftest.py). PYTEST_WORKERS: how many processes share the
# tests (pytest-xdist; each its own var folder and Redis databases, tests/worker_isolation.py); 0
# runs them in this one, as the RabbitMQ run must.
PYTEST_WORKERS ?= 2
test: install-dev
	@[ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null || \
		{ [ -x "$${CHROMIUM_PATH:-/usr/bin/chromium}" ] && \
		  [ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] && [ -x /usr/sbin/nginx ]; } || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 \
		 apt-get install -y -qq chromium fonts-wqy-microhei nginx >/dev/null)
	$(VENV_PYTHON) manage.py compile_translations
	$(VENV_PYTHON) -m pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# The fault and abuse tests alone, the property-based ones at full size, and their figures as a
# table (also part of `make test`, smaller).
reliability: install-dev
	HYPOTHESIS_PROFILE=full $(VENV_PYTHON) -m pytest -m reliability

# The benchmark (bench/README.md): the portal under gunicorn and a Celery worker, loaded with wrk,
# beside its references; the reports over 10 million calls; memory. Needs PostgreSQL and Redis on
# 127.0.0.1 and Debian's wrk and nginx (installed here when missing and run as root). BENCH_SCALE=20000 is
# the quick run CI makes.
bench: install
	@{ command -v wrk && [ -x /usr/sbin/nginx ]; } >/dev/null || [ "$$(id -u)" != 0 ] || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 \
		 apt-get install -y -qq wrk nginx >/dev/null)
	$(VENV_PYTHON) -m bench

lint: install-dev
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format: install-dev
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

# Gather the translatable strings into locale/zh_Hans/LC_MESSAGES/django.po (needs GNU gettext's
# xgettext; translating and compiling do not).
messages: install-dev
	$(VENV_PYTHON) manage.py makemessages --locale zh_Hans --no-obsolete --add-location file \
		--ignore '.venv/*' --ignore '.tools/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*' \
		--ignore 'sandbox/*'

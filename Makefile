# rempart — two commands on a fresh Debian machine:
#   make run    the main job with embedded defaults
#   make test   the whole suite (lint, types, layers, docs, tests)
# Each installs what it needs: a virtualenv in .venv, pip packages, and Debian packages
# through apt-get when run as root (otherwise it says which to install).

PYTHON   ?= python3
VENV     ?= .venv
PY       := $(VENV)/bin/python
REMPART  := $(VENV)/bin/rempart
# Debian packages the test suite drives for real: journal files (systemd-journal-remote), nftables
# in network namespaces (nftables, libnftables1, iproute2), a real sshd attacked end to end
# (openssh-server, openssh-client, sshpass, netcat-openbsd); curl for the blocklist benchmark's
# cron-script way; Debian's Munin (node, core plugins, master, rrdtool) as the protocol's real peers,
# MariaDB for its probe, openssl for test certificates, ca-certificates for a real CA file;
# Chromium, driven by Playwright, for the dashboard's browser tests.
TEST_DEBS := systemd systemd-journal-remote nftables libnftables1 iproute2 curl ca-certificates \
	openssh-server openssh-client sshpass netcat-openbsd \
	munin-node munin-plugins-core munin rrdtool mariadb-server openssl chromium

.PHONY: run demo test lint typecheck layers docs docs-check bench venv clean help

help:
	@echo "make run        agent + server + dashboard here with embedded defaults (state in .rempart/)"
	@echo "make demo       replay the bundled sample log with the default sshd jail and print the bans"
	@echo "make test       lint, types, import layers, docs check and the whole test suite"
	@echo "make bench      benchmarks against Debian's fail2ban (see bench/README.md)"
	@echo "make docs       regenerate docs/reference from the code"

$(VENV)/.stamp-base:
	@scripts/ensure-python-venv "$(PYTHON)" "$(VENV)"
	$(VENV)/bin/pip install --quiet --upgrade pip setuptools wheel
	@touch $@

$(VENV)/.stamp-run: $(VENV)/.stamp-base pyproject.toml
	$(VENV)/bin/pip install --quiet -e .
	@touch $@

$(VENV)/.stamp-dev: $(VENV)/.stamp-run pyproject.toml
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	@touch $@

venv: $(VENV)/.stamp-dev

# The whole product on this machine with the embedded defaults: agent, supervision server and
# dashboard (`rempart run`): config, state and databases in $(RUN_DIR); prints the dashboard's
# address and the first admin password. nftables when run as root and usable, otherwise the
# agent only logs its bans (dry-run, it says so). Ctrl-C stops everything.
RUN_DIR  ?= .rempart
RUN_DEBS := nftables libnftables1

run: $(VENV)/.stamp-run
	@if [ "$$(id -u)" = 0 ]; then scripts/ensure-debian-packages $(RUN_DEBS) || true; fi
	$(REMPART) run --dir $(RUN_DIR) $(RUN_ARGS)

# What `make run` did before the agent: replay the bundled sample log and print the bans.
demo: $(VENV)/.stamp-run
	$(REMPART) replay --config rempart/config/default.toml --jail sshd rempart/samples/auth.log

lint: $(VENV)/.stamp-dev
	$(VENV)/bin/ruff check rempart tests bench
	$(VENV)/bin/ruff format --check rempart tests bench

typecheck: $(VENV)/.stamp-dev
	$(VENV)/bin/mypy

layers: $(VENV)/.stamp-dev
	$(VENV)/bin/lint-imports

docs: $(VENV)/.stamp-dev
	$(PY) -m rempart.docgen write

docs-check: $(VENV)/.stamp-dev
	$(PY) -m rempart.docgen check

test: $(VENV)/.stamp-dev
	@scripts/ensure-debian-packages $(TEST_DEBS)
	$(MAKE) --no-print-directory lint typecheck layers docs-check
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: $(VENV)/.stamp-dev
	$(PY) bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache

# The two commands of the README: `make demo` and `make test`. Both set up everything first.
VENV := .venv
PY := $(VENV)/bin/python
SYSTEM_PACKAGES := chromium fonts-noto-cjk redis-server libreoffice-writer-nogui poppler-utils

.PHONY: setup system venv demo test test-fast lint docs bench eval clean

setup: system venv

system:
	@scripts/install-system-packages $(SYSTEM_PACKAGES)

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

demo: setup
	$(VENV)/bin/nianbao demo

test: setup
	$(MAKE) lint
	$(VENV)/bin/pytest -q -p no:cacheprovider
	$(PY) -m bench.evaluate

test-fast: venv
	$(VENV)/bin/pytest -q -m "not slow and not browser and not redis"

lint: venv
	$(VENV)/bin/ruff check .
	PY=$(PY) scripts/lint-imports

docs: venv
	$(PY) -m nianbao.cli.docs docs/cli.md

bench: venv
	$(PY) -m bench.parse_speed

clean:
	rm -rf $(VENV) build *.egg-info data/ test-output/

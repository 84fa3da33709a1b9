# Two commands on a fresh machine: `make demo` and `make test`. Both install what they need into a
# virtual environment the Makefile creates (.venv): Debian 12's own pip refuses to install into
# the system Python ("externally-managed-environment"), and a venv works the same on the Python
# images. `make demo` installs only what the package needs to run; `make test` adds the dev tools.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO_OUT ?= demo-out
APT_PACKAGES = libreoffice-calc-nogui python3-uno fonts-wqy-microhei poppler-utils chromium

.PHONY: venv deps dev-deps web-deps system-deps demo test check lint bench docs-images clean serve mutate

# The venv. Stock Debian lacks `venv`'s ensurepip until python3-venv is installed: do it when root.
$(PY):
	@if ! $(PYTHON) -m venv --help >/dev/null 2>&1 || ! $(PYTHON) -c 'import ensurepip' >/dev/null 2>&1; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	        DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv; \
	    else echo "请先安装 python3-venv（Debian/Ubuntu：sudo apt-get install python3-venv）"; exit 1; fi; \
	fi
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

venv: $(PY)

# runtime dependencies only (the demo, an office's own use)
deps: $(VENV)/.runtime-stamp
$(VENV)/.runtime-stamp: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	@touch $@

# the package with its dev tools (pytest, ruff, mypy, …)
dev-deps: $(VENV)/.dev-stamp
$(VENV)/.dev-stamp: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.runtime-stamp $(VENV)/.web-stamp

# LibreOffice (the real spreadsheet program the tests drive), Chinese fonts, pdftoppm. The tests
# run LibreOffice's own Python (/usr/bin/python3 with uno) in a separate process, not the venv's.
system-deps:
	@if command -v soffice >/dev/null 2>&1 && /usr/bin/python3 -c 'import uno' >/dev/null 2>&1 \
	    && command -v pdftoppm >/dev/null 2>&1 && [ -x /usr/bin/chromium ]; then echo "LibreOffice and Chromium present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); \
	else echo "LibreOffice missing and cannot install it here: its tests will be skipped"; fi

demo: deps
	PYTHON=$(abspath $(PY)) bash examples/demo.sh $(DEMO_OUT)

# The web intake on the demo data: templates generated from the Hebei example roster, then served
# on http://127.0.0.1:$(PORT) with the office token and every department's link printed.
PORT ?= 8000
web-deps: $(VENV)/.web-stamp
$(VENV)/.web-stamp: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[web]'
	@touch $@ $(VENV)/.runtime-stamp

serve: web-deps
	rm -rf $(DEMO_OUT)/web-sent
	$(PY) -m xltargets generate hebei-county --year 2025 --roster examples/roster-hebei.csv --out $(DEMO_OUT)/web-sent
	$(PY) -m xltargets serve --root $(DEMO_OUT)/web --manifest $(DEMO_OUT)/web-sent/manifest.json --port $(PORT)

test: dev-deps system-deps
	$(PY) -m pytest -q

lint: dev-deps
	$(PY) -m ruff check xltargets tests benchmarks examples tools
	$(PY) -m mypy xltargets

check: lint test

# benchmarks/bench_scale.py: generate, read, collect and memory at province scale (docs/performance.md);
# N=20000 for the full measurement (builds and caches 40,000 workbooks under /tmp/xltargets-bench)
N ?= 2000
bench: dev-deps
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) benchmarks/bench_read.py
	$(PY) benchmarks/bench_scale.py --n $(N) --sizes 500,$(N) --json bench-scale.json --plot bench-scale.png

# Mutation testing (docs/testing.md; not part of `make test` nor CI): mutmut over everything
# issue 10 names — the values, the rules, the cell rules, the checks and collect's duplicate
# choice and database logic (scope all: 4,453 mutants, scored to the end on 2026-11-30 at
# 4,088/4,453 = 91.8%; about 1-1.5 hours on 2 quiet cores, more under load). Fails when the
# score drops below MUTATE_FLOOR percent (91.7: five more survivors fail it) or a module below
# its own floor (tools/mutate_score.py FLOORS). MUTATE_SCOPE=core MUTATE_FLOOR=91 runs collect's
# part alone (664 mutants, 6 min). Every run starts from nothing (a second one takes as long);
# `tools/mutate_score.py score` re-reads the last results.
MUTATE_SCOPE ?= all
MUTATE_FLOOR ?= 91.7
mutate: dev-deps
	$(PY) -m pip install --quiet -e '.[mutate]'
	$(PY) tools/mutate_score.py run --scope $(MUTATE_SCOPE) --floor $(MUTATE_FLOOR)

docs-images: dev-deps system-deps
	$(PY) tools/render_docs.py

clean:
	rm -rf $(DEMO_OUT) .deps-stamp .pytest_cache mutants

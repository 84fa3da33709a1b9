# Two commands on a fresh machine: `make demo` and `make test`. Both install what they need.
PYTHON ?= python3
DEMO_OUT ?= demo-out
APT_PACKAGES = libreoffice-calc-nogui python3-uno fonts-wqy-microhei poppler-utils chromium

.PHONY: deps system-deps demo test check lint bench docs-images clean serve

deps: .deps-stamp
.deps-stamp: pyproject.toml
	$(PYTHON) -m pip install --quiet -e '.[dev]'
	@touch .deps-stamp

# LibreOffice (the real spreadsheet program the tests drive), Chinese fonts, pdftoppm.
system-deps:
	@if command -v soffice >/dev/null 2>&1 && /usr/bin/python3 -c 'import uno' >/dev/null 2>&1 \
	    && command -v pdftoppm >/dev/null 2>&1 && [ -x /usr/bin/chromium ]; then echo "LibreOffice and Chromium present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); \
	else echo "LibreOffice missing and cannot install it here: its tests will be skipped"; fi

demo: deps
	bash examples/demo.sh $(DEMO_OUT)

# The web intake on the demo data: templates generated from the Hebei example roster, then served
# on http://127.0.0.1:$(PORT) with the office token and every department's link printed.
PORT ?= 8000
serve: deps
	rm -rf $(DEMO_OUT)/web-sent
	$(PYTHON) -m xltargets generate hebei-county --year 2025 --roster examples/roster-hebei.csv --out $(DEMO_OUT)/web-sent
	$(PYTHON) -m xltargets serve --root $(DEMO_OUT)/web --manifest $(DEMO_OUT)/web-sent/manifest.json --port $(PORT)

test: deps system-deps
	$(PYTHON) -m pytest -q

lint: deps
	$(PYTHON) -m ruff check xltargets tests benchmarks examples tools
	$(PYTHON) -m mypy xltargets

check: lint test

# benchmarks/bench_scale.py: generate, read, collect and memory at province scale (docs/performance.md);
# N=20000 for the full measurement (builds and caches 40,000 workbooks under /tmp/xltargets-bench)
N ?= 2000
bench: deps
	$(PYTHON) -m pip install --quiet -e '.[bench]'
	$(PYTHON) benchmarks/bench_read.py
	$(PYTHON) benchmarks/bench_scale.py --n $(N) --sizes 500,$(N) --json bench-scale.json --plot bench-scale.png

docs-images: deps system-deps
	$(PYTHON) tools/render_docs.py

clean:
	rm -rf $(DEMO_OUT) .deps-stamp .pytest_cache

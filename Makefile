# Two commands on a fresh machine: `make demo` and `make test`. Both install what they need.
PYTHON ?= python3
DEMO_OUT ?= demo-out
APT_PACKAGES = libreoffice-calc-nogui python3-uno fonts-wqy-microhei poppler-utils

.PHONY: deps system-deps demo test check lint bench docs-images clean

deps: .deps-stamp
.deps-stamp: pyproject.toml
	$(PYTHON) -m pip install --quiet -e '.[dev]'
	@touch .deps-stamp

# LibreOffice (the real spreadsheet program the tests drive), Chinese fonts, pdftoppm.
system-deps:
	@if command -v soffice >/dev/null 2>&1 && /usr/bin/python3 -c 'import uno' >/dev/null 2>&1 \
	    && command -v pdftoppm >/dev/null 2>&1; then echo "LibreOffice present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); \
	else echo "LibreOffice missing and cannot install it here: its tests will be skipped"; fi

demo: deps
	bash examples/demo.sh $(DEMO_OUT)

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

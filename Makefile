# wsss_mm: `make demo` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_DIR ?= work_dirs/demo
DEMO_DATA ?= data/synthvoc
OPENMIM_VERSION := 0.3.9

.PHONY: install test test-fast lint demo clean

install: $(STAMP)

# Re-runs only when a requirements file or setup.py changes. openmim goes in without its
# dependencies, which would downgrade setuptools below torch's need (requirements/mim.txt).
$(STAMP): requirements/runtime.txt requirements/tests.txt requirements/lint.txt requirements/mim.txt requirements/optional.txt setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements/runtime.txt -r requirements/tests.txt \
		-r requirements/lint.txt -r requirements/mim.txt
	$(PY) -m pip install -q --no-deps openmim==$(OPENMIM_VERSION)
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	$(PY) -m pip install -q -r requirements/optional.txt || \
		echo "pydensecrf2 did not build: the dense CRF stages and tests are skipped"
	touch $(STAMP)

test: install
	$(PY) -m pytest tests

# the inner loop: everything but the end-to-end runs marked slow
test-fast: install
	$(PY) -m pytest tests -m "not slow"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/codespell

demo: install
	test -f $(DEMO_DATA)/synthetic_voc.json || \
		$(PY) tools/make_synthetic_voc.py $(DEMO_DATA) --num-train 300 --num-val 100
	$(PY) tools/run_pipeline.py configs/quickstart/pipeline_synthvoc.py \
		--data-root $(DEMO_DATA) --work-dir $(DEMO_DIR)

clean:
	rm -rf $(VENV) work_dirs

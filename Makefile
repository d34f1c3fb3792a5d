# `make run` sets everything up on a fresh clone and opens the app; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test bench clean

# torch first, the build for this machine: CPU unless an NVIDIA GPU is found (TORCH=cpu|cuda|default
# overrides; packaging/install_torch.py says why it chose what it chose)
$(STAMP): pyproject.toml packaging/constraints.txt packaging/install_torch.py
	$(PYTHON) -m venv $(VENV)
	TORCH="$(TORCH)" $(PY) packaging/install_torch.py
	$(PY) -m pip install --quiet -c packaging/constraints.txt -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/optplayground $(ARGS)

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -n auto $(ARGS)

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/optplayground bench $(ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info

# Installers (minutes each, so not part of `make test`): packaging/README.md
.PHONY: installer smoke
installer:
	packaging/build-linux.sh

smoke:
	@set -e; for package in dist/optplayground_*.deb dist/optplayground-*-linux-*.tar.gz; do \
		packaging/smoke-test.sh "$$package"; done

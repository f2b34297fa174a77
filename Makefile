# Showrunner. `make synth` and `make test` are the two commands in the README;
# both set up everything they need on a fresh clone (see `make setup`).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CDK := node_modules/.bin/cdk
ENV ?= dev
CDK_OUT ?= cdk.out
# Test hook: another CDK app entry point (tests/support/nag_canary_app.py uses it).
CDK_APP ?=
# Run before cdk destroy: ends EMR runs and revokes EMR's own security group rules (tools/operator/teardown.py).
TEARDOWN ?= $(PY) -m tools.operator.teardown

# Node 22 from npm (Node 20 is end-of-life) runs both the CDK CLI and jsii.
SYSTEM_PATH := $(PATH)
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
# Offline: never probe EC2 instance metadata for credentials.
export AWS_EC2_METADATA_DISABLED := true
export CDK_DISABLE_CLI_TELEMETRY := true
# Python caches the bytecode of what it imports, even where the environment says not to (the dev VM sets
# PYTHONDONTWRITEBYTECODE): otherwise every process that imports aws-cdk-lib compiles its modules again.
unexport PYTHONDONTWRITEBYTECODE

# Debian packages the tests use; `make setup` installs any that are missing (as root, or with sudo).
APT_PACKAGES := nginx shellcheck graphviz fonts-dejavu-core ffmpeg chromium
# checkov pins its own boto3, so it gets a venv of its own (make review).
CHECKOV_VENV := .venv-checkov

.PHONY: help setup installs apt-packages synth test lint typecheck pytest bootstrap deploy zones diff destroy lock clean review review-diff rehearse

help:
	@echo "make synth               synthesize dev, staging and prod offline, with cdk-nag and cfn-lint"
	@echo "make test                ruff, mypy and pytest"
	@echo "make bootstrap ENV=dev   cdk bootstrap every region the environment uses, in the account in your credentials"
	@echo "make deploy ENV=dev      synth, cdk deploy '<env>/*', then update the stacks whose producers' outputs changed"
	@echo "                         (OVERRIDES='{\"dev\": {...}}' or CONFIG_FILE=file.json: settings, also for synth/diff)"
	@echo "make zones ENV=dev       check the account's availability zone names against availability_zone_ids"
	@echo "make diff ENV=dev        cdk diff '<env>/*'"
	@echo "make destroy ENV=dev     cdk destroy '<env>/*' (prod needs CONFIRM=prod)"
	@echo "make rehearse ENV=dev    deploy into a local moto server with the CDK CLI, check, tear down (KEEP=1 keeps it;"
	@echo "                         RECREATE=1 deploys again next to what the teardown retained)"
	@echo "make setup               create .venv and node_modules (idempotent; the targets above run it)"
	@echo "make lock                re-resolve requirements.lock from the pins in pyproject.toml"
	@echo "make review [ENV=dev]    synthesize and write docs/review/<env>.md and diagrams (all environments by default;"
	@echo "                         REVIEW_SYNTH=no reviews what make synth left in cdk.out)"
	@echo "make review-diff FROM=dev TO=prod   what differs between two environments' reviews"
	@echo "make review-diff [ENV=dev]          the working tree's review against the last committed one"
	@echo "make bench               benchmarks, side by side with their baselines (exit 1 if a target is missed)"

# The parts install side by side (a fresh clone spends its set-up time waiting on downloads and unpacking).
setup:
	@$(MAKE) --no-print-directory -j4 installs

installs: $(VENV)/.installed $(CHECKOV_VENV)/.installed node_modules/.installed apt-packages

apt-packages:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  echo "installing Debian packages:" $$missing; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# --no-compile: pip compiles every installed module, one by one (47 s of this venv's 69 s install on the
# 2-core VM); instead Python compiles the ones a process imports, once (PYTHONDONTWRITEBYTECODE above).
$(VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check pip==25.3
	$(PY) -m pip install --quiet --disable-pip-version-check --no-compile -r requirements.lock
	touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.lock
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check pip==25.3
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check --no-compile -r requirements-checkov.lock
	touch $@

node_modules/.installed: package.json package-lock.json
	# With the system PATH: the node package's install script must not find a half-installed node_modules/.bin/node.
	PATH="$(SYSTEM_PATH)" npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Settings without editing code (README, "Configuration"): OVERRIDES='{"dev": {...}}', CONFIG_FILE=file.json.
SYNTH_CONTEXT = $(if $(OVERRIDES),-c overrides='$(OVERRIDES)') $(if $(CONFIG_FILE),-c config_file=$(CONFIG_FILE))

synth: setup
	rm -rf $(CDK_OUT)
	$(CDK) synth '**' --quiet --output $(CDK_OUT) $(if $(CDK_APP),--app "$(CDK_APP)") $(SYNTH_CONTEXT)
	$(PY) -m tools.developer.synth_summary --outdir $(CDK_OUT)

# mypy (one process) runs beside pytest's workers: it fills the moments they wait.
test: lint
	@$(MAKE) --no-print-directory -j2 typecheck pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy app.py stacks tools lambda tests benchmarks

# Tests run in parallel, one worker per CPU; a module's tests stay on one worker (tests/conftest.py).
PYTEST_WORKERS ?= auto

pytest: setup
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadscope

.PHONY: bench
bench: setup
	$(PY) benchmarks/playback.py
	$(PY) benchmarks/synth.py
	$(PY) benchmarks/event_ingest.py

# cdk deploy '<env>/*' from the checked assembly, then the stacks whose producers' outputs changed
# (tools/operator/deploy.py: a replaced ALB, secret or WebACL reaches its consumers on the same deploy).
ZONE_SETTINGS = $(if $(OVERRIDES),--overrides '$(OVERRIDES)') $(if $(CONFIG_FILE),--config-file $(CONFIG_FILE))

deploy: synth
	$(PY) -m tools.operator.zones check --env $(ENV) $(ZONE_SETTINGS)
	$(PY) -m tools.operator.deploy deploy --env $(ENV) --outdir $(CDK_OUT)

# The account's zone names against the configured zone IDs (make deploy checks it first).
zones: setup
	$(PY) -m tools.operator.zones check --env $(ENV) $(ZONE_SETTINGS)

# cdk bootstrap for every account and region the environment's stacks use (prod: us-east-1 and us-west-2).
bootstrap: synth
	$(PY) -m tools.operator.deploy bootstrap --env $(ENV) --outdir $(CDK_OUT)

diff: setup
	$(CDK) diff '$(ENV)/*' $(SYNTH_CONTEXT)

destroy: setup
	@case '$(ENV)' in dev|staging|prod) ;; *) echo "ENV must be dev, staging or prod (got '$(ENV)'); destroy takes one environment."; exit 2;; esac
	@if [ "$(ENV)" = "prod" ] && [ "$(CONFIRM)" != "prod" ]; then \
	  echo "Refusing to destroy prod. Prod stacks have termination protection and retain their data;"; \
	  echo "if you really mean it, read docs/operations.md and run: make destroy ENV=prod CONFIRM=prod"; \
	  exit 1; fi
	$(TEARDOWN) --env $(ENV)
	$(CDK) destroy '$(ENV)/*'

# Try a deploy without an AWS account: an embedded moto server, the real CDK CLI (docs/rehearsal.md).
rehearse: synth
	$(PY) -m tools.developer.rehearsal --env $(ENV) --outdir $(CDK_OUT) $(if $(KEEP),--keep) $(if $(RECREATE),--recreate)

lock:
	rm -rf build/lock-venv
	$(PYTHON) -m venv build/lock-venv
	build/lock-venv/bin/pip install --quiet pip==25.3
	build/lock-venv/bin/pip install --quiet $$($(PYTHON) -c 'import tomllib; d = tomllib.load(open("pyproject.toml", "rb")); print(" ".join(d["project"]["dependencies"] + d["dependency-groups"]["dev"]))')
	{ echo "# Generated by 'make lock' from the pins in pyproject.toml. Do not edit by hand."; \
	  build/lock-venv/bin/pip freeze --all --exclude pip; } > requirements.lock
	rm -rf build/lock-venv
	$(PYTHON) -m venv build/lock-venv
	build/lock-venv/bin/pip install --quiet pip==25.3
	build/lock-venv/bin/pip install --quiet $$($(PYTHON) -c 'import tomllib; print(" ".join(tomllib.load(open("pyproject.toml", "rb"))["dependency-groups"]["checkov"]))')
	{ echo "# Generated by 'make lock' from the checkov group in pyproject.toml. Do not edit by hand."; \
	  build/lock-venv/bin/pip freeze --all --exclude pip; } > requirements-checkov.lock
	rm -rf build/lock-venv

# ENV unset reviews every environment (unlike deploy/diff, where it defaults to dev).
REVIEW_ENVS = $(if $(filter command line environment,$(origin ENV)),--env $(ENV))
REVIEW_DOCS ?= docs/review
# REVIEW_SYNTH=no reviews the assembly already in CDK_OUT (what make synth left there) instead of synthesizing again.
REVIEW_SYNTH ?= yes

review: setup
	$(PY) -m tools.developer.review $(REVIEW_ENVS) --outdir $(CDK_OUT) --cdk $(CDK) --docs $(REVIEW_DOCS)$(if $(filter no,$(REVIEW_SYNTH)), --no-synth)

review-diff: setup
	$(PY) -m tools.developer.review --outdir $(CDK_OUT) --cdk $(CDK) --docs $(REVIEW_DOCS) \
	  $(if $(FROM),--diff $(FROM) $(TO),--diff-committed $(REVIEW_ENVS))

clean:
	rm -rf cdk.out build .mypy_cache .ruff_cache .pytest_cache .benchmarks

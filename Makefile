# mono_depth_ros: two commands do everything on a fresh machine.
#   make demo   set up (first time), then run the nodes on a synthetic bag and print a report
#   make test   set up (first time), then run the test suite
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup demo test bench gpu-check clean help
help:
	@echo "make demo   - run depth + ego-motion nodes on an embedded synthetic bag (outputs in demo_output/)"
	@echo "make test   - run the test suite"
	@echo "make bench  - print benchmark tables (conversions, inference, node, real data)"
	@echo "make setup  - create/update $(VENV) (done automatically by demo and test)"
	@echo "make gpu-check - on an NVIDIA machine: GPU extras, TensorRT 10 and 11 parity tests, fps (unverified)"

setup:
	@bash scripts/setup_env.sh $(VENV)

demo: setup
	$(PY) -m mono_depth_ros.demo $(DEMO_ARGS)

test: setup
	$(PY) -m pytest test -q $(PYTEST_ARGS)

bench: setup
	$(PY) benchmarks/bench_conversions.py
	$(PY) benchmarks/bench_inference.py
	$(PY) benchmarks/bench_node.py
	$(PY) benchmarks/bench_node.py --variant paper
	$(PY) benchmarks/bench_real.py --no-figure
	$(PY) benchmarks/bench_metric_scale.py

gpu-check:
	bash scripts/gpu_check.sh

clean:
	rm -rf build install log demo_output .pytest_cache

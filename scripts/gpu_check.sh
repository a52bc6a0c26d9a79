#!/usr/bin/env bash
# make gpu-check: one command for a machine with an NVIDIA GPU (driver installed, PyPI reachable).
#
# In its own venv (.venv-gpu, the CPU venv is left alone) it installs the project with the pinned
# GPU extras: CUDA torch (PyPI's default Linux build of the pinned torch), onnxruntime-gpu, then
# TensorRT 10 and TensorRT 11 in turn. For each TensorRT it runs every backend's parity test
# against ONNX Runtime CPU (test/inference/test_gpu_parity.py: fp32 max abs diff <= 1e-3 of the
# output range, fp16 <= 1e-2, engine cache reuse, dynamic-shape profile, corrupt-cache rebuild)
# and prints frames/s per backend and precision (benchmarks/bench_inference.py GPU rows).
# Budget: 10 minutes (timeouts below); a step that fails is reported and the script goes on, the
# exit status is non-zero if any step failed.
#
# UNVERIFIED: written without access to an NVIDIA machine; it has not run yet.
set -uo pipefail
cd "$(dirname "$0")/.."

VENV=${GPU_VENV:-.venv-gpu}
PYTHON=${PYTHON:-python3}
ORT_GPU_PIN=onnxruntime-gpu==1.31.1
TRT10_VERSION=10.16.1.11   # JetPack (Jetson) stays on TensorRT 10
TRT11_VERSION=11.4.0.106
MODELS=${GPU_CHECK_MODELS:-eigen2014,xian2018,li2020_depth,li2020_motion}
status=0
step() { echo; echo "=== $* ==="; }
fail() { echo "FAILED: $*"; status=1; }

command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,compute_cap --format=csv \
  || { echo "no nvidia-smi: this target needs a machine with an NVIDIA GPU and its driver"; exit 2; }

step "venv $VENV with the project's pins (torch from PyPI is the CUDA build on Linux)"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PY="$VENV/bin/python"
timeout 240 "$PY" -m pip install -q -r requirements.txt -c constraints.txt || fail "pip install requirements"
timeout 120 "$PY" -m pip uninstall -q -y onnxruntime
timeout 120 "$PY" -m pip install -q "$ORT_GPU_PIN" || fail "pip install $ORT_GPU_PIN"
"$PY" - <<'EOF' || fail "CUDA torch / onnxruntime-gpu not usable"
import onnxruntime as ort, torch
print("torch", torch.__version__, "CUDA", torch.version.cuda, "device:", torch.cuda.is_available() and torch.cuda.get_device_name())
print("onnxruntime", ort.__version__, ort.get_available_providers())
assert torch.cuda.is_available(), "torch sees no CUDA device"
EOF
CUDA_MAJOR=$("$PY" -c "import torch; print((torch.version.cuda or '12').split('.')[0])")

for TRT in "$TRT10_VERSION" "$TRT11_VERSION"; do
  step "TensorRT $TRT (tensorrt-cu$CUDA_MAJOR)"
  timeout 90 "$PY" -m pip uninstall -q -y "tensorrt-cu$CUDA_MAJOR" "tensorrt_cu${CUDA_MAJOR}_libs" \
    "tensorrt_cu${CUDA_MAJOR}_bindings" >/dev/null 2>&1
  timeout 180 "$PY" -m pip install -q "tensorrt-cu$CUDA_MAJOR==$TRT" || { fail "pip install TensorRT $TRT"; continue; }
  "$PY" -c "import tensorrt as trt; print('tensorrt', trt.__version__)" || { fail "import tensorrt $TRT"; continue; }
  # parity: TensorRT always; ONNX Runtime CUDA and torch CUDA once (they do not depend on TensorRT)
  filter="tensorrt"
  [ "$TRT" = "$TRT10_VERSION" ] && filter="tensorrt or onnxruntime_cuda or torch_cuda"
  OMP_NUM_THREADS=4 timeout 150 "$PY" -m pytest test/inference/test_gpu_parity.py -q -rs -k "$filter" \
    || fail "parity tests on TensorRT $TRT"
  rows="tensorrt:fp32,tensorrt:fp16"
  [ "$TRT" = "$TRT10_VERSION" ] && rows="$rows,onnxruntime-cuda:fp32,onnxruntime-cuda:fp16,torch-cuda:fp32,torch-cuda:fp16"
  timeout 150 "$PY" benchmarks/bench_inference.py --no-real --models "$MODELS" --rows "$rows" \
    --iterations 30 --threads 4 || fail "benchmark on TensorRT $TRT"
done

echo
[ $status -eq 0 ] && echo "gpu-check: all steps passed" || echo "gpu-check: some steps FAILED (see above)"
exit $status

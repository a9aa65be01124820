#!/usr/bin/env bash
# The course on a GPU: every lesson headless with COURSE_DEVICE=cuda, then the
# sweep benchmark on cuda. Prints each figure; exits non-zero on any error.
# Sized for under 5 minutes on one GPU. Without CUDA it says so and exits 0
# (CI and the course's CPU machines have no GPU; nothing is run there).
# Usage: bash benchmarks/gpu_check.sh   (from the repository root; uses .venv if present)
set -euo pipefail
cd "$(dirname "$0")/.."
py=python3
[ -x .venv/bin/python ] && py=.venv/bin/python

if ! "$py" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  echo "gpu_check: this needs CUDA (torch.cuda.is_available() is False here); nothing was run."
  exit 0
fi

"$py" -c 'import torch; print("device:", torch.cuda.get_device_name(0), "| torch", torch.__version__, "| CUDA", torch.version.cuda)'
echo "== lessons, headless, COURSE_DEVICE=cuda"
"$py" benchmarks/bench_notebooks.py --device cuda
echo "== sweep trainer vs sequential runs, on cuda"
"$py" benchmarks/bench_sweep.py --device cuda
echo "gpu_check: done, no errors"

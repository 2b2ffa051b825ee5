#!/usr/bin/env bash
# The cuDNN backend's device script, for a lent GPU machine (no network, no Node, PyTorch and
# cuDNN 9 in /opt/torch/.venv). Run from the repository root with what `bash test/gpu/prepare.sh`
# built here in .gpu-carry/ and dist/:
#
#   bash test/gpu/run.sh            # correctness, benchmark against torch, results table
#   bash test/gpu/run.sh --quick    # fewer random problems and layers
#   bash test/gpu/run.sh --only-gradients / --only-benchmark
#
# Writes everything to $OUT (default /tmp/deconv-gpu): nvidia-smi.txt, check.txt, gpu-deconv.json,
# gpu-torch.json, gpu-results.md. Each step has its own time limit; the whole stays well inside
# 10 minutes.
set -u
QUICK=${1:-}   # --quick, --only-gradients (the gradient suites alone, no benchmark) or --only-benchmark
OUT=${OUT:-/tmp/deconv-gpu}
mkdir -p "$OUT"
ROOT=$(pwd)
step() { echo; echo "== $* ($(date +%T))"; }

step "machine"
nvidia-smi 2>&1 | tee "$OUT/nvidia-smi.txt" | head -15
PY=/opt/torch/.venv/bin/python
[ -x "$PY" ] || PY=$(command -v python3)
echo "python: $PY"

step "node"
NODE_DIR=/tmp/deconv-node
mkdir -p "$NODE_DIR"
if command -v node >/dev/null 2>&1 && node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; then
  NODE=$(command -v node)
else
  if command -v xz >/dev/null 2>&1; then xz -dc .gpu-carry/node.xz > "$NODE_DIR/node"
  else "$PY" -c 'import lzma,sys,shutil; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"))' .gpu-carry/node.xz "$NODE_DIR/node"; fi
  chmod +x "$NODE_DIR/node"
  NODE=$NODE_DIR/node
fi
"$NODE" --version || { echo "node does not run here"; ldd "$NODE" | grep 'not found'; exit 1; }

step "cuDNN"
CUDNN_LIB=$("$PY" -c 'import os, nvidia.cudnn as m; print(os.path.join(list(m.__path__)[0], "lib"))' 2>/dev/null)
[ -f "$CUDNN_LIB/libcudnn.so.9" ] || CUDNN_LIB=$(dirname "$(find / -name 'libcudnn.so.9' -not -path '*/proc/*' 2>/dev/null | head -1)")
echo "libcudnn: $CUDNN_LIB"
"$PY" -c 'import torch; print("torch", torch.__version__, "cuDNN", torch.backends.cudnn.version(), "CUDA", torch.version.cuda, torch.cuda.get_device_name(0))'
NVIDIA_LIBS=$("$PY" -c 'import os, nvidia; root=list(nvidia.__path__)[0]; print(":".join(os.path.join(root, d, "lib") for d in sorted(os.listdir(root)) if os.path.isdir(os.path.join(root, d, "lib"))))' 2>/dev/null)
export LD_LIBRARY_PATH="${NVIDIA_LIBS}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export DECONV_CUDNN_PATH="$CUDNN_LIB"
export DECONV_ADDON_PATH="$ROOT/.gpu-carry/deconv.node"
"$NODE" -e 'const a=require(process.env.DECONV_ADDON_PATH); console.log(JSON.stringify(a.cudnnInfo()))'

if [ "$QUICK" != "--only-benchmark" ]; then
step "correctness"
timeout 180 "$NODE" test/gpu/check.mjs $QUICK 2>&1 | tee "$OUT/check.txt" | grep -v '^suite\|^cudnn\|^backends' | tail -40
grep -E '^suite|checks,' "$OUT/check.txt"

if [ "$QUICK" = "--only-gradients" ]; then step "done"; exit 0; fi
fi
ONLY_BENCHMARK=
[ "$QUICK" = "--only-benchmark" ] && { ONLY_BENCHMARK=1; QUICK=; }

step "benchmark: deconv"
timeout 150 "$NODE" bench/gpu.mjs "$OUT/gpu-deconv.json" $QUICK 2>&1 | tail -40

step "benchmark: torch"
timeout 150 "$PY" bench/gpu_torch.py "$OUT/gpu-torch.json" $QUICK 2>&1 | tail -40

step "report"
"$NODE" bench/gpu-report.mjs "$OUT/gpu-deconv.json" "$OUT/gpu-torch.json" "$OUT/nvidia-smi.txt" "$OUT/gpu-results.md" > /dev/null && cat "$OUT/gpu-results.md" | tail -12

[ -n "$ONLY_BENCHMARK" ] && { step "done"; exit 0; }
step "compute-sanitizer"
SANITIZER=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1)
if [ -n "$SANITIZER" ]; then
  timeout 60 "$SANITIZER" --tool memcheck --leak-check full "$NODE" test/gpu/sanitize.mjs 2>&1 | tail -15 | tee "$OUT/sanitizer.txt"
else
  echo "compute-sanitizer is not installed here: memcheck skipped" | tee "$OUT/sanitizer.txt"
fi
step "done"

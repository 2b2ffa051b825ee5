#!/usr/bin/env bash
# Builds here what test/gpu/run.sh needs on the GPU machine, into git-ignored places that the
# device tool carries: dist/ (the library) and .gpu-carry/ (node.xz, a cuDNN-only deconv.node,
# the bundled suites). The normal build in build/ is restored afterwards.
set -eu
cd "$(dirname "$0")/../.."
mkdir -p .gpu-carry
npm run build >/dev/null
node test/gpu/bundle.mjs .gpu-carry/tests
# The GPU machine needs no oneDNN: a cuDNN-only addon has no library to carry beside it.
DECONV_ONEDNN=off DECONV_CUDNN=required node scripts/build-native.mjs
cp build/Release/deconv.node .gpu-carry/deconv.node
[ -s .gpu-carry/node.xz ] || xz -9 -T2 -c "$(command -v node)" > .gpu-carry/node.xz
node scripts/build-native.mjs >/dev/null
du -sh .gpu-carry dist

#!/usr/bin/env bash
# The GPU run of the stage benchmark (docs/benchmarks.md), prepared to run once on a
# machine with a CUDA GPU and the package installed (`make install`):
#   bash tools/analysis_tools/benchmark_gpu.sh [OUT_DIR]      (default work_dirs/benchmark_gpu)
# 1. every stage at paper resolution (tools/analysis_tools/benchmark_stages.py --device cuda);
# 2. AdvCAM's batched form against the authors' per-class, per-scale loop
#    (tools/analysis_tools/benchmark.py --what advcam) with the VOC ResNet-50 CAM network,
#    random weights (timing needs no trained weights), on 500-px synthetic images.
# The tables go to OUT_DIR/stages.txt and OUT_DIR/advcam.txt, the stage benchmark's last
# line (one JSON object) also to OUT_DIR/stages.json. Sized for about 10 minutes on one
# GPU (not yet measured on a GPU).
set -euo pipefail
case "${1:-}" in
    -h|--help)
        echo "usage: bash tools/analysis_tools/benchmark_gpu.sh [OUT_DIR]   (default work_dirs/benchmark_gpu)
  the stage benchmark at paper resolution and AdvCAM batched against the authors' loop,
  on a CUDA GPU; tables in OUT_DIR/stages.txt, OUT_DIR/stages.json and OUT_DIR/advcam.txt"
        exit 0 ;;
    -*) echo "benchmark_gpu.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
esac
OUT=${1:-work_dirs/benchmark_gpu}
PY=${PYTHON:-python}
mkdir -p "$OUT"
"$PY" tools/analysis_tools/benchmark_stages.py --device cuda --num-images 8 | tee "$OUT/stages.txt"
tail -n 1 "$OUT/stages.txt" > "$OUT/stages.json"
"$PY" tools/make_synthetic_voc.py "$OUT/synth500" --num-train 4 --num-val 1 --size 500 --overwrite
"$PY" - "$OUT/cam_r50_random.pth" <<'PYEOF'
import sys

import torch

from wsss_mm.apis.train import load_config
from wsss_mm.registry import MODELS
from wsss_mm.utils.setup_env import register_all_modules

register_all_modules()
cfg = load_config('configs/cam/cam_r50_voc.py')
torch.manual_seed(0)  # built, not initialised: init_cfg's ImageNet file is not read
torch.save({'state_dict': MODELS.build(cfg.model).state_dict()}, sys.argv[1])
PYEOF
"$PY" tools/analysis_tools/benchmark.py configs/cam/cam_r50_voc.py "$OUT/cam_r50_random.pth" \
    --what advcam --data-root "$OUT/synth500" --num-images 4 --steps 27 \
    --scales 1.0 0.5 1.5 2.0 --repeat 2 --device cuda | tee "$OUT/advcam.txt"

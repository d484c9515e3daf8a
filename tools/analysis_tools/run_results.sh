#!/usr/bin/env bash
# The results page (docs/results.md) from nothing: every method's quickstart pipeline
# (tools/run_pipeline.py) on two synthetic sets, one run record per finished run, then
# the page from the records (tools/analysis_tools/collect_results.py).
usage() {
    cat <<'EOF'
usage: bash tools/analysis_tools/run_results.sh DATA_DEFAULT DATA_PARTS [--methods M ...]
           [--seeds S ...] [--default-seeds S ...] [--epochs N] [--segmix-epochs N]
           [--work-root DIR] [--records DIR] [--out FILE] [--cfg-options KEY=VALUE ...]

Runs tools/run_pipeline.py for each method and training seed on DATA_PARTS (a set of
`make_synthetic_voc.py --regime parts`, seeds 0 1 2) and DATA_DEFAULT (the default
set, seed 0); either may be '-' to skip it. Each finished run leaves its record in
RECORDS/<data set>/<method>_seed<k>.json; a run whose record exists is skipped, and a
killed run continues where it stopped (run_pipeline resumes per stage). Then the page
is written from every record in RECORDS. The command runs from the repository root.

methods (default: all), their quickstart configs (configs/quickstart/):
  CAM         pipeline_synthvoc.py
  AdvCAM      pipeline_synthvoc.py --method AdvCAM (preset 'authors'), on the CAM
              run's network (its training stages are taken over, not rerun)
  CPN         cpn_synthvoc.py + the refinement of pipeline_synthvoc.py
  P-NOC+LS    pnoc_synthvoc.py (its ordinary classifier trained first)
  Group-WSSS  group_synthvoc.py
  SegMix      segmix_pipeline_synthvoc.py: Binding-CC on the CAM run's pseudo masks
              (the stages up to the pseudo masks are taken over from the CAM run)
AdvCAM and SegMix run the CAM run of their seed first when it is missing.

options:
  --methods M ...        the methods to run (default: all six)
  --seeds S ...          training seeds on DATA_PARTS (default: 0 1 2)
  --default-seeds S ...  training seeds on DATA_DEFAULT (default: 0)
  --epochs N             CAM-network budget: N epochs of 300 images at batch 16 (Group-WSSS:
                         N/4 epochs of anchors, the same iterations); default: each
                         config's own (40, Group-WSSS 10: 750 iterations)
  --segmix-epochs N      SegMix's segmentation budget in epochs of its clustering set (1.65
                         samples per image); default 10: the iterations of the DeepLab-v2 of
                         the other rows (16 epochs of batch 8); its own config's: 39
  --work-root DIR        where the runs go (default: work_dirs/results)
  --records DIR          the run records (default: docs/results)
  --out FILE             the page (default: docs/results.md)
  --cfg-options ...      more config options for every run (last on the line)
Environment: PYTHON (default: python).
EOF
}

set -euo pipefail
if [ $# -eq 0 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    usage
    exit 0
fi
die() {
    echo "run_results.sh: error: $*" >&2
    exit 2
}

ALL_METHODS=(CAM AdvCAM CPN P-NOC+LS Group-WSSS SegMix)
[ $# -ge 2 ] || die "expected DATA_DEFAULT and DATA_PARTS (see --help)"
DATA_DEFAULT=$1
DATA_PARTS=$2
shift 2
METHODS=("${ALL_METHODS[@]}")
PARTS_SEEDS=(0 1 2)
DEFAULT_SEEDS=(0)
EPOCHS=""
SEGMIX_EPOCHS=10
WORK_ROOT=work_dirs/results
RECORDS=docs/results
OUT=docs/results.md
EXTRA=()
# the values of a list option: every token up to the next --option
take_list() {
    LIST=()
    while [ $# -gt 0 ] && [[ $1 != --* ]]; do
        LIST+=("$1")
        shift
    done
    [ ${#LIST[@]} -gt 0 ] || die "$OPTION needs at least one value"
}
while [ $# -gt 0 ]; do
    OPTION=$1
    shift
    case $OPTION in
        --methods | --seeds | --default-seeds)
            take_list "$@"
            shift ${#LIST[@]}
            case $OPTION in
                --methods) METHODS=("${LIST[@]}") ;;
                --seeds) PARTS_SEEDS=("${LIST[@]}") ;;
                --default-seeds) DEFAULT_SEEDS=("${LIST[@]}") ;;
            esac
            ;;
        --epochs | --segmix-epochs | --work-root | --records | --out)
            [ $# -gt 0 ] || die "$OPTION needs a value"
            case $OPTION in
                --epochs) EPOCHS=$1 ;;
                --segmix-epochs) SEGMIX_EPOCHS=$1 ;;
                --work-root) WORK_ROOT=$1 ;;
                --records) RECORDS=$1 ;;
                --out) OUT=$1 ;;
            esac
            shift
            ;;
        --cfg-options)
            EXTRA=("$@")
            shift $#
            ;;
        *) die "unknown option $OPTION (see --help)" ;;
    esac
done
for method in "${METHODS[@]}"; do
    [[ " ${ALL_METHODS[*]} " == *" $method "* ]] || die "unknown method $method; known: ${ALL_METHODS[*]}"
done
for seed in "${PARTS_SEEDS[@]}" "${DEFAULT_SEEDS[@]}"; do
    [[ $seed =~ ^[0-9]+$ ]] || die "a training seed is an integer >= 0, got $seed"
done
[ -z "$EPOCHS" ] || [[ $EPOCHS =~ ^[1-9][0-9]*$ ]] || die "--epochs must be an integer >= 1, got $EPOCHS"
[[ $SEGMIX_EPOCHS =~ ^[1-9][0-9]*$ ]] || die "--segmix-epochs must be an integer >= 1, got $SEGMIX_EPOCHS"
[ "$DATA_DEFAULT$DATA_PARTS" != "--" ] || die "nothing to run: both data roots are '-'"
for data in "$DATA_DEFAULT" "$DATA_PARTS"; do
    [ "$data" = "-" ] || [ -d "$data" ] || die "data root not found: $data"
done
if [ "$DATA_PARTS" != "-" ] && ! grep -qs '"regime": "parts"' "$DATA_PARTS/synthetic_voc.json"; then
    die "$DATA_PARTS is not a parts-regime set (no \"regime\": \"parts\" in its synthetic_voc.json): make it with tools/make_synthetic_voc.py $DATA_PARTS --num-train 300 --num-val 100 --regime parts"
fi

REPO=$(cd "$(dirname "$0")/../.." && pwd)
# paths as given, relative to the repository root where they are inside it
from_repo() {
    case $1 in
        -) echo - ;;
        *) realpath -sm --relative-to="$REPO" "$1" ;;
    esac
}
DATA_DEFAULT=$(from_repo "$DATA_DEFAULT")
DATA_PARTS=$(from_repo "$DATA_PARTS")
WORK_ROOT=$(from_repo "$WORK_ROOT")
RECORDS=$(from_repo "$RECORDS")
OUT=$(from_repo "$OUT")
cd "$REPO"
PY=${PYTHON:-python}
Q=configs/quickstart

slug() { echo "$1" | tr 'A-Z' 'a-z' | sed 's/[^a-z0-9_-]/_/g'; }

# ARGS: the run_pipeline arguments of a method (config, --method) and OPTIONS its options
method_args() {
    local method=$1 seed=$2
    OPTIONS=("randomness.seed=$seed")
    case $method in
        CAM) ARGS=("$Q/pipeline_synthvoc.py") ;;
        AdvCAM)
            ARGS=("$Q/pipeline_synthvoc.py" --method AdvCAM)
            OPTIONS+=(cam_methods.AdvCAM.preset=authors)
            ;;
        CPN)
            ARGS=("$Q/cpn_synthvoc.py")
            OPTIONS+=(pipeline.affinity_config=affinity_synthvoc.py
                pipeline.seg_config=deeplab_synthvoc.py pipeline.init_from_cam=True)
            ;;
        P-NOC+LS)
            ARGS=("$Q/pnoc_synthvoc.py")
            OPTIONS+=("auxiliary.0.options.randomness.seed=$seed")
            ;;
        Group-WSSS) ARGS=("$Q/group_synthvoc.py") ;;
        SegMix)
            ARGS=("$Q/segmix_pipeline_synthvoc.py")
            OPTIONS+=("pipeline.seg_options.train_cfg.max_epochs=$SEGMIX_EPOCHS")
            ;;
    esac
    [ -n "$EPOCHS" ] || return 0
    local epochs=$EPOCHS
    [ "$method" != Group-WSSS ] || epochs=$(((EPOCHS + 2) / 4 > 0 ? (EPOCHS + 2) / 4 : 1))
    # the schedulers and the checkpoint / validation intervals follow max_epochs
    OPTIONS+=("train_cfg.max_epochs=$epochs")
    [ "$method" != P-NOC+LS ] || OPTIONS+=("auxiliary.0.options.train_cfg.max_epochs=$EPOCHS")
}

CAM_STAGES=(train_auxiliary train_cam eval_classifier)
REFINE_STAGES=(infer_cams eval_cams eval_crf train_saliency saliency affinity_labels
    train_affinity random_walk eval_walk pseudo_masks)

# run_one DATA SEED METHOD [quiet]: quiet says nothing of a run already recorded
run_one() {
    local data=$1 seed=$2 method=$3 quiet=${4:-}
    local name
    name=$(basename "$data")
    local work=$WORK_ROOT/$name/$(slug "$method")_seed$seed
    local record=$RECORDS/$name/$(slug "$method")_seed$seed.json
    if [ -f "$record" ]; then
        [ -n "$quiet" ] || echo "[results] $method, seed $seed, $name: recorded ($record)"
        return 0
    fi
    # AdvCAM and SegMix take over the CAM run's finished stages (run_pipeline --take-over)
    local take_over=()
    case $method in
        AdvCAM | SegMix)
            run_one "$data" "$seed" CAM quiet
            local cam_work=$WORK_ROOT/$name/cam_seed$seed
            take_over=(--take-over-from "$cam_work" --take-over "${CAM_STAGES[@]}")
            if [ "$method" = SegMix ]; then
                take_over+=("${REFINE_STAGES[@]}")
                # the folders the segmentation stages and the gallery read
                mkdir -p "$work"
                local folder
                for folder in cams crf_seeds walked pseudo_masks; do
                    if [ -d "$cam_work/$folder" ] && [ ! -e "$work/$folder" ]; then
                        ln -s "$(realpath "$cam_work/$folder")" "$work/$folder"
                    fi
                done
            fi
            ;;
    esac
    method_args "$method" "$seed"
    local command=(tools/run_pipeline.py "${ARGS[@]}" --data-root "$data" --work-dir "$work"
        "${take_over[@]}" --cfg-options "${OPTIONS[@]}" "${EXTRA[@]}")
    mkdir -p "$work"
    echo "[results] $method, seed $seed, $name: running (log: $work/run.log)"
    local start=$SECONDS
    if ! "$PY" "${command[@]}" >>"$work/run.log" 2>&1; then
        echo "[results] $method, seed $seed, $name: failed after $((SECONDS - start)) s; the end of $work/run.log:" >&2
        tail -n 20 "$work/run.log" >&2
        exit 1
    fi
    "$PY" tools/analysis_tools/collect_results.py "$work" --name "$method" \
        --config "$(basename "${ARGS[0]}")" --save-records "$RECORDS" \
        --run-command "python ${command[*]}" >/dev/null
    echo "[results] $method, seed $seed, $name: done in $((SECONDS - start)) s: $(tail -n 1 "$work/run.log")"
}

# every method of seed k on both sets before seed k + 1, so that a partial run fills rows
MAX_SEEDS=$((${#PARTS_SEEDS[@]} > ${#DEFAULT_SEEDS[@]} ? ${#PARTS_SEEDS[@]} : ${#DEFAULT_SEEDS[@]}))
for ((i = 0; i < MAX_SEEDS; i++)); do
    for method in "${METHODS[@]}"; do
        if [ "$DATA_PARTS" != - ] && [ $i -lt ${#PARTS_SEEDS[@]} ]; then
            run_one "$DATA_PARTS" "${PARTS_SEEDS[$i]}" "$method"
        fi
        if [ "$DATA_DEFAULT" != - ] && [ $i -lt ${#DEFAULT_SEEDS[@]} ]; then
            run_one "$DATA_DEFAULT" "${DEFAULT_SEEDS[$i]}" "$method"
        fi
    done
done
"$PY" tools/analysis_tools/collect_results.py "$RECORDS" --out "$OUT"

#!/usr/bin/env bash
# Training on a Slurm cluster: bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG [train.py options]
USAGE="usage: bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG [options of tools/train.py]
  srun with GPUS tasks (default 4), GPUS_PER_NODE (4), CPUS_PER_TASK (5), SRUN_ARGS and
  PYTHON from the environment"
case "${1:-}" in -h|--help) echo "$USAGE"; exit 0 ;; esac
if [ -z "${3:-}" ]; then
    echo "$USAGE" >&2
    exit 2
fi
set -x
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
GPUS=${GPUS:-4}
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
PY_ARGS=${@:4}
PYTHON=${PYTHON:-python}
PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
srun -p ${PARTITION} \
    --job-name=${JOB_NAME} \
    --gres=gpu:${GPUS_PER_NODE} \
    --ntasks=${GPUS} \
    --ntasks-per-node=${GPUS_PER_NODE} \
    --cpus-per-task=${CPUS_PER_TASK} \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    $PYTHON -u "$(dirname "$0")/train.py" ${CONFIG} --launcher="slurm" ${PY_ARGS}

#!/usr/bin/env bash
# Distributed training with torchrun: bash tools/dist_train.sh CONFIG NUM_PROCS [train.py options]
# One process per GPU (nccl); on a machine without CUDA, NUM_PROCS CPU processes (gloo).
set -e
USAGE="usage: bash tools/dist_train.sh CONFIG NUM_PROCS [options of tools/train.py]
  torchrun with NUM_PROCS processes (one per GPU, nccl; without CUDA, CPU processes, gloo);
  NNODES, NODE_RANK, PORT, MASTER_ADDR and PYTHON from the environment"
case "${1:-}" in -h|--help) echo "$USAGE"; exit 0 ;; esac
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
if [ -z "$CONFIG" ] || [ -z "$GPUS" ]; then
    echo "$USAGE" >&2
    exit 2
fi
PYTHON=${PYTHON:-python}
PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
$PYTHON -m torch.distributed.run \
    --nnodes=$NNODES --node_rank=$NODE_RANK --master_addr=$MASTER_ADDR \
    --nproc_per_node=$GPUS --master_port=$PORT \
    "$(dirname "$0")/train.py" "$CONFIG" --launcher pytorch "${@:3}"

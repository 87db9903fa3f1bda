#!/usr/bin/env bash
# Start Dask grading workers on this host for `grader autograde NAME --scheduler tcp://HOST:8786`.
#
#   scripts/start_gpu_workers.sh tcp://HOST:8786            one worker per GPU that `nvidia-smi -L` lists
#   scripts/start_gpu_workers.sh tcp://HOST:8786 4          one worker per GPU 0..3 (no nvidia-smi needed)
#   scripts/start_gpu_workers.sh --cpu 8 tcp://HOST:8786    8 single-threaded CPU workers, GPUs hidden
#   scripts/start_gpu_workers.sh --dry-run ...              print the commands, start nothing
#
# Each GPU gets its own `dask worker SCHEDULER --nworkers 1 --nthreads 1 --resources GPU=1` with
# CUDA_VISIBLE_DEVICES set to that GPU's index, so it grades one submission at a time (jobs of
# Keras assignments ask for resources={"GPU": 1}). With `--preload grader.gpuworker` each checks at
# start-up, in a sandbox started as a grading job's, that TensorFlow finds its GPU; one that does
# not refuses to join and says what is missing (install the GPU build first: `make gpu-worker`).
# Their environment also carries what grading on a GPU needs (the sandbox sets the same inside;
# here it covers the checker process too):
#   TF_FORCE_GPU_ALLOW_GROWTH=true   TensorFlow takes GPU memory as it needs it, not all of it
#   NVIDIA_TF32_OVERRIDE=0           no TF32: float32 matmul/conv at full precision on Ampere/Hopper
#   TF_DETERMINISTIC_OPS=1           deterministic kernels
#
# Workers receive jobs holding absolute paths: run this from the same checkout, with the same
# Python environment and the course directory at the same path as the machine that runs
# `grader autograde` (a shared filesystem), and with bubblewrap installed (`grader doctor`).
# The workers run in the foreground; Ctrl-C (or SIGTERM) stops them all. Logs go to
# $LOG_DIR (default ./dask-workers/) as worker-N.log. `dask` is taken from $DASK, else from
# the venv next to this script (.venv/bin/dask), else from PATH.
set -euo pipefail

usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

cpu=""
dry_run=0
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu) [ $# -ge 2 ] || usage; cpu="$2"; shift 2 ;;
    --cpu=*) cpu="${1#--cpu=}"; shift ;;
    --dry-run) dry_run=1; shift ;;
    -h|--help) usage 0 ;;
    -*) echo "unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] && [ $# -le 2 ] || usage
scheduler="$1"
count="${2:-}"

here="$(cd "$(dirname "$0")/.." && pwd)"
if [ -n "${DASK:-}" ]; then dask="$DASK"
elif [ -x "$here/.venv/bin/dask" ]; then dask="$here/.venv/bin/dask"
else dask="$(command -v dask || true)"; fi
[ -n "$dask" ] || { echo "error: no dask command: install the project (make) or set DASK=/path/to/dask" >&2; exit 1; }
# nbgrader and the sandbox look for tools next to the interpreter: put the venv's bin/ first.
export PATH="$(dirname "$dask"):$PATH"

log_dir="${LOG_DIR:-./dask-workers}"
pids=()
declare -A name_of=()

launch() {  # launch NAME ENV... -- ARGS...: one `dask worker` in the background, its log in $log_dir
  local name="$1"; shift
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  # --memory-limit caps the checker (the worker process; student processes have their own caps)
  local cmd=(env "${envs[@]}" "$dask" worker "$scheduler" --name "$name" --memory-limit 4GiB "$@")
  if [ "$dry_run" = 1 ]; then printf '%q ' "${cmd[@]}"; echo; return; fi
  mkdir -p "$log_dir"
  "${cmd[@]}" >"$log_dir/$name.log" 2>&1 &
  pids+=("$!")
  name_of[$!]="$name"
  echo "started $name (pid $!): ${envs[*]}; log $log_dir/$name.log"
}

host="$(hostname -s 2>/dev/null || hostname)"
if [ -n "$cpu" ]; then
  [[ "$cpu" =~ ^[1-9][0-9]*$ ]] || { echo "error: --cpu wants a positive count, got '$cpu'" >&2; exit 2; }
  launch "cpu-$host" CUDA_VISIBLE_DEVICES= -- --nworkers "$cpu" --nthreads 1
else
  if [ -z "$count" ]; then
    command -v nvidia-smi >/dev/null || {
      echo "error: nvidia-smi not found: give the GPU count (start_gpu_workers.sh $scheduler N) or use --cpu N" >&2; exit 1; }
    count="$(nvidia-smi -L | grep -c '^GPU ' || true)"
  fi
  [[ "$count" =~ ^[0-9]+$ ]] && [ "$count" -gt 0 ] || { echo "error: no GPUs found (count '$count'); use --cpu N" >&2; exit 1; }
  for ((gpu = 0; gpu < count; gpu++)); do
    launch "gpu$gpu-$host" CUDA_VISIBLE_DEVICES="$gpu" TF_FORCE_GPU_ALLOW_GROWTH=true NVIDIA_TF32_OVERRIDE=0 \
      TF_DETERMINISTIC_OPS=1 -- --nworkers 1 --nthreads 1 --resources GPU=1 --preload grader.gpuworker
  done
fi
[ "$dry_run" = 1 ] && exit 0

stop() { trap - INT TERM; echo "stopping ${#pids[@]} worker(s)"; kill -TERM "${pids[@]}" 2>/dev/null || true; wait; exit 0; }
trap stop INT TERM
# A worker that exits (no usable GPU, scheduler gone for good, bad address) is reported with its
# reason; the others keep running.
status=0
for _ in "${pids[@]}"; do
  ended=""
  if ! wait -n -p ended "${pids[@]}"; then
    status=1
    name="${name_of[$ended]}"
    echo "$name stopped: $(grep -m1 '^grader:' "$log_dir/$name.log" || tail -n 1 "$log_dir/$name.log")" >&2
  fi
done
exit "$status"

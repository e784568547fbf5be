#!/usr/bin/env bash
# There is no Docker engine on our machines. This replays the Dockerfile's steps without Docker:
# WORKDIR, COPY, RUN and ENV into a temporary directory, then starts its CMD against
# DATABASE_URL and waits until its HEALTHCHECK command passes. Usage:
#   DATABASE_URL=postgres://… scripts/replay-dockerfile.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
: "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL database the replayed server may migrate}"
root="$(mktemp -d)"
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$root"' EXIT
workdir="$root"
port=$((20000 + RANDOM % 20000))
healthcheck=""
cmd=""

while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in
    FROM\ node:20*) [ "$(node -p 'process.versions.node.split(".")[0]')" = 20 ] || { echo "Node 20 expected"; exit 1; } ;;
    WORKDIR\ *) workdir="$root${line#WORKDIR }"; mkdir -p "$workdir" ;;
    COPY\ *)
      read -r -a parts <<<"${line#COPY }"
      dest="${parts[${#parts[@]}-1]}"
      for src in "${parts[@]:0:${#parts[@]}-1}"; do cp -r "$repo/$src" "$workdir/$dest"; done ;;
    RUN\ *) (cd "$workdir" && bash -c "${line#RUN }") ;;
    ENV\ *) for assignment in ${line#ENV }; do export "${assignment?}"; done ;;
    HEALTHCHECK\ *) healthcheck="${line#*CMD }" ;;
    CMD\ *) cmd="$(node -p "JSON.parse(process.argv[1]).join(' ')" "${line#CMD }")" ;;
  esac
done <"$repo/Dockerfile"

export PORT="$port" HOST=127.0.0.1
(cd "$workdir" && exec $cmd) >"$root/server.log" 2>&1 &
server=$!
for _ in $(seq 1 60); do
  if (cd "$workdir" && bash -c "${healthcheck//8080/$port}"); then
    echo "replayed Dockerfile: CMD '$cmd' is healthy on port $port"
    exit 0
  fi
  sleep 1
done
echo "replayed Dockerfile: not healthy after 60 s"; cat "$root/server.log"; exit 1

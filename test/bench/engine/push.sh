#!/usr/bin/env bash
# Push through the engine, measured in one run: `docker push` vs `crane push`
# (of a `docker save` tarball) vs `esbtui push`, cold (fresh random layers
# each round, so nothing is cached or mounted), against a private esbtui
# stack on 127.0.0.1. Prints medians in MiB/s and the ratios to docker push.
#
#   test/bench/engine/push.sh [MiB per image (default 128)] [rounds (default 3)]
#
# Needs: a running Docker engine, the fixture registry image (test/run builds
# it; set ESB_REGISTRY_IMAGE), Go. crane is installed with `go install`.
set -euo pipefail
cd "$(dirname "$0")/../../.."
MIB=${1:-128}
ROUNDS=${2:-3}
LAYERS=4
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
WORK=$(mktemp -d)
export ESB_HOME=$WORK/home ESB_PROJECT=esbbench$$ ESB_REGISTRY_PORT=${ESB_BENCH_PORT:-5610}
export ESB_REGISTRY_IMAGE=${ESB_REGISTRY_IMAGE:-$(test/fixtures/build)}
REG=localhost:$ESB_REGISTRY_PORT
cleanup() {
  "$WORK/esbtui" down --volumes --yes --no-tui >/dev/null 2>&1 || true
  docker images --format '{{.Repository}}:{{.Tag}}' | grep "^esbbench-" | xargs -r docker rmi -f >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

go build -o "$WORK/esbtui" ./cmd/esbtui
GOBIN=$WORK go install github.com/google/go-containerregistry/cmd/crane@v0.22.1
"$WORK/esbtui" init --skip-trust --no-tui >/dev/null
"$WORK/esbtui" up --no-tui >/dev/null
CA=$ESB_HOME/certs/rootCA.crt

# image NAME: FROM scratch with $LAYERS layers of random data.
image() {
  local dir=$WORK/img-$1 per=$((MIB / LAYERS))
  mkdir -p "$dir"
  { echo "FROM scratch"; for i in $(seq 1 $LAYERS); do
      head -c "${per}M" /dev/urandom > "$dir/l$i"; echo "COPY l$i /l$i"; done; } > "$dir/Dockerfile"
  docker build -q -t "$1" "$dir" >/dev/null
  rm -rf "$dir"
}

secs() { local s=$(date +%s.%N); "$@" >/dev/null 2>&1; echo "$(date +%s.%N) - $s" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A T
for r in $(seq 1 "$ROUNDS"); do
  image "esbbench-docker-$r:latest"; docker tag "esbbench-docker-$r:latest" "$REG/docker$r:latest"
  T[docker]+="$(secs docker push "$REG/docker$r:latest")"$'\n'
  image "esbbench-crane-$r:latest"
  T[crane]+="$(secs bash -c "docker save esbbench-crane-$r:latest > $WORK/c.tar && SSL_CERT_FILE=$CA $WORK/crane push $WORK/c.tar $REG/crane$r:latest")"$'\n'
  rm -f "$WORK/c.tar"
  image "esbbench-esbtui-$r:latest"
  T[esbtui]+="$(secs "$WORK/esbtui" push "esbbench-esbtui-$r:latest" --to "$REG/esbtui$r:latest" --no-tui)"$'\n'
done
T[repush]="$(for r in $(seq 1 "$ROUNDS"); do secs "$WORK/esbtui" push "esbbench-esbtui-$r:latest" --to "$REG/esbtui$r:latest" --no-tui; done)"
T[docker-repush]="$(for r in $(seq 1 "$ROUNDS"); do secs docker push "$REG/docker$r:latest"; done)"

d=$(printf '%s' "${T[docker]}" | median)
printf '%-22s %8s %10s %8s\n' "method ($MIB MiB, $LAYERS layers)" "median s" "MiB/s" "vs docker"
for k in docker crane esbtui; do
  m=$(printf '%s' "${T[$k]}" | median)
  printf '%-22s %8.2f %10.1f %8.2fx\n' "$k push (cold)" "$m" "$(echo "$MIB / $m" | bc -l)" "$(echo "$d / $m" | bc -l)"
done
printf '%-22s %8.3f\n' "esbtui re-push" "$(printf '%s\n' "${T[repush]}" | median)"
printf '%-22s %8.3f\n' "docker re-push" "$(printf '%s\n' "${T[docker-repush]}" | median)"

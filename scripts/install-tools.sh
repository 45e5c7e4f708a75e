#!/usr/bin/env bash
# Builds the field's real Go tools at the versions pinned in scripts/tools.lock, into a cache directory
# outside git (reused when present, keyed by version), and prints the directory holding them all:
#
#   bin=$(bash scripts/install-tools.sh)            # the tools the test suite needs
#   bash scripts/install-tools.sh gitleaks          # named tools only (gitleaks is for benchmarks)
#   bash scripts/install-tools.sh sealed-secrets-controller   # opt-in: the Bitnami controller (benchmarks)
#
# A tool already on PATH at a compatible version is linked as it is. Progress goes to stderr; a failed build
# is one line naming the tool and its log. Nothing here is committed but this script and the pins.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
lock="$here/tools.lock"
cache="${SECRETSOPS_TOOLS_DIR:-$HOME/.cache/secretsops/tools}"
bin="$cache/bin"
mkdir -p "$bin" "$cache/build"
export CGO_ENABLED=0 GOFLAGS="-buildvcs=false -trimpath" GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

say() { printf 'install-tools: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
command -v go >/dev/null || die "the Go toolchain (go) is not on PATH; it builds kube-apiserver, etcd, kustomize, helm, kubeseal"

pin() { awk -v n="$1" '$1 == n { print $2; exit }' "$lock"; }
pkgs() { awk -v n="$1" '$1 == n { for (i = 3; i <= NF; i++) print $i; exit }' "$lock"; }

# run NAME LOG CMD...: runs a build step with a ticking progress line; on failure one line and exit.
run() {
  local name="$1" log="$2"; shift 2
  local start=$SECONDS
  "$@" >>"$log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 15
    kill -0 "$pid" 2>/dev/null && say "  … $name still building ($((SECONDS - start)) s)"
  done
  wait "$pid" || die "building $name failed (go exited non-zero; full log: $log)"
}

# system_ok NAME VERSION: a tool on PATH whose version shares the pin's major.minor is used as it is.
system_ok() {
  local name="$1" want="$2" have=""
  command -v "$name" >/dev/null 2>&1 || return 1
  case "$name" in
    kustomize) have=$(kustomize version 2>/dev/null | head -1) ;;
    helm) have=$(helm version --template '{{.Version}}' 2>/dev/null) ;;
    etcd) have=$(etcd --version 2>/dev/null | head -1) ;;
    kubeseal) have=$(kubeseal --version 2>/dev/null | head -1) ;;
    gitleaks) have=$(gitleaks version 2>/dev/null | head -1) ;;
    kube-apiserver) have=$(kube-apiserver --version 2>/dev/null) ;;
    kubectl) have=$(kubectl version --client 2>/dev/null | head -1) ;;
  esac
  local mm="${want%.*}"; mm="${mm#v}"
  [[ "$have" =~ (^|[^0-9])v?${mm//./\\.}\.[0-9]+($|[^0-9]) ]]
}

link_system() { ln -sf "$(command -v "$1")" "$bin/$1"; say "$1: using $(command -v "$1") (compatible with the pin)"; }

build_kubernetes() {
  local v="$1" out="$2" work="$cache/build/kubernetes-$1" log="$cache/build/kubernetes-$1.log"
  mkdir -p "$work"; : >"$log"
  say "kube-apiserver + kubectl $v: building from k8s.io/kubernetes (first time: 5-15 min on 2 cores)"
  (
    cd "$work"
    printf 'module secretsops.local/tools\n\ngo 1.24\n' >go.mod
    go mod download -json "k8s.io/kubernetes@$v" >mod.json
    local gomod; gomod=$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p' mod.json)
    # every k8s.io/* staging module the kubernetes module requires at v0.0.0 -> its published v0.X.Y
    local staging="v0.${v#v1.}"
    # (exactly v0.0.0: kube-openapi and utils are pinned at real v0.0.0-<date>-<hash> pseudo-versions)
    grep -E '^[[:space:]]*k8s\.io/[a-z0-9-]+(/[a-z0-9-]+)* v0\.0\.0([[:space:]]|$)' "$gomod" | awk '{print $1}' | sort -u |
      while read -r m; do printf 'replace %s => %s %s\n' "$m" "$m" "$staging"; done >>go.mod
    printf 'require k8s.io/kubernetes %s\n' "$v" >>go.mod
  ) >>"$log" 2>&1 || die "building kube-apiserver failed (resolving modules; full log: $log)"
  (cd "$work" && run "kube-apiserver" "$log" go get "k8s.io/kubernetes/cmd/kube-apiserver@$v" "k8s.io/kubernetes/cmd/kubectl@$v")
  # the version Kubernetes' own build stamps in (`kubectl version`, the server's /version)
  local minor="${v#v1.}"; minor="${minor%%.*}" x=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    x+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  (cd "$work" && run "kube-apiserver" "$log" go build -ldflags "$x" -o "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
  (cd "$work" && run "kubectl" "$log" go build -ldflags "$x" -o "$out/kubectl" k8s.io/kubernetes/cmd/kubectl)
}

build_etcd() {
  local v="$1" out="$2" work="$cache/build/etcd-$1" log="$cache/build/etcd-$1.log"
  mkdir -p "$work"; : >"$log"
  say "etcd $v: building from go.etcd.io/etcd/server/v3 (1-3 min)"
  (
    cd "$work"
    printf 'module secretsops.local/etcd\n\ngo 1.24\n' >go.mod
    printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' >main.go
  )
  (cd "$work" && run "etcd" "$log" go get "go.etcd.io/etcd/server/v3@$v")
  (cd "$work" && run "etcd" "$log" go mod tidy)
  (cd "$work" && run "etcd" "$log" go build -o "$out/etcd" .)
}

build_plain() {
  local name="$1" v="$2" out="$3" pkg="$4" log="$cache/build/$1-$2.log"
  : >"$log"
  say "$name $v: go install $pkg@$v (1-4 min)"
  GOBIN="$out" run "$name" "$log" go install "$pkg@$v"
  local built; built=$(basename "${pkg%/v[0-9]*}")
  [ "$built" = "$name" ] || [ -e "$out/$name" ] || mv "$out/$(ls "$out" | head -1)" "$out/$name"
}

install_one() {
  local name="$1" v; v=$(pin "$name")
  [ -n "$v" ] || die "no pin for '$name' in $lock"
  local out="$cache/$name-$v"
  local exes=("$name"); [ "$name" = kubernetes ] && exes=(kube-apiserver kubectl)
  local have=1 e
  for e in "${exes[@]}"; do [ -x "$out/$e" ] || have=0; done
  if [ "$have" = 0 ] && [ "$name" != kubernetes ] && system_ok "$name" "$v"; then link_system "$name"; return; fi
  if [ "$have" = 0 ]; then
    rm -rf "$out.tmp"; mkdir -p "$out.tmp"
    case "$name" in
      kubernetes) build_kubernetes "$v" "$out.tmp" ;;
      etcd) build_etcd "$v" "$out.tmp" ;;
      *) build_plain "$name" "$v" "$out.tmp" "$(pkgs "$name" | head -1)" ;;
    esac
    rm -rf "$out"; mv "$out.tmp" "$out"
    say "$name $v: built"
  fi
  for e in "${exes[@]}"; do ln -sf "$out/$e" "$bin/$e"; done
}

tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(kubernetes etcd kustomize helm kubeseal)
for t in "${tools[@]}"; do install_one "$t"; done
echo "$bin"

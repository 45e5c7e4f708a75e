#!/bin/sh
# Build the archive the Krew manifest (secretsops.yaml) points at, byte for byte reproducible:
# fixed mtime, owner and order, gzip without a timestamp. Prints its sha256 (the manifest's).
# usage: plugins/kubectl/build-krew-archive.sh OUT.tar.gz
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build-krew-archive.sh OUT.tar.gz}
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --mode=go-w \
  -C "$here" -cf - kubectl-secretsops LICENSE.txt | gzip -n -9 > "$out"
sha256sum "$out" | cut -d' ' -f1

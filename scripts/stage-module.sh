#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Stages the module exactly as Deckhouse's bundle image ships it: the repository root is both the
# module and a TypeScript project (node_modules, sources, tests), and Deckhouse tooling must see
# only the module. dmt, for one, treats every directory holding a module.yaml at any depth as a
# module, so node_modules would be linted too. The staged tree is what the template tests render,
# what dmt lints and what the cluster in a box points addon-operator at.
#
# Ships: .helmignore, Chart.yaml, module.yaml, oss.yaml, values.yaml?, enabled?, charts?, crds, docs?
# (without docs/internal: design notes for developers, not module documentation), monitoring,
# openapi, templates, and hooks/ holding only the built hooks executable.
#
# Usage: scripts/stage-module.sh [--out DIR] [--no-hooks] [--lint]
#   --out DIR    where to stage (default build/module); replaced atomically, so a process reading
#                the previous copy never sees a half-written tree
#   --no-hooks   stage without hooks/ (renders and lints that need no executable)
#   --lint       stage for dmt: also copy .dmtlint.yaml and the image recipes
#                (images/*/Dockerfile and werf.inc.yaml, which dmt's images linter checks);
#                neither is shipped to clusters
# The hooks executable must be built first (npm run build -- hooks); without it the script fails
# naming the command, unless --no-hooks.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/build/module"
with_hooks=1
with_lint=0

while [ $# -gt 0 ]; do
  case "$1" in
    --out)
      [ $# -ge 2 ] || { echo "stage-module: --out needs a directory" >&2; exit 2; }
      out="$2"
      shift 2
      ;;
    --no-hooks) with_hooks=0; shift ;;
    --lint) with_lint=1; shift ;;
    -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "stage-module: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

case "$out" in
  /*) ;;
  *) out="$PWD/$out" ;;
esac
if [ "$out" = "/" ] || [ "$out" = "$root" ]; then
  echo "stage-module: refusing to stage into $out" >&2
  exit 2
fi

hooks_bin="$root/build/hooks/swh-hooks"
if [ "$with_hooks" = 1 ] && [ ! -x "$hooks_bin" ]; then
  echo "stage-module: $hooks_bin is missing: run 'npm run build -- hooks' first (or pass --no-hooks)" >&2
  exit 1
fi

# Required parts of the module, then optional ones (copied when present).
required=(.helmignore Chart.yaml module.yaml oss.yaml crds monitoring openapi templates)
optional=(values.yaml enabled charts docs)

parent="$(dirname "$out")"
mkdir -p "$parent"
staging="$(mktemp -d "$parent/.stage-module.XXXXXX")"
cleanup() { rm -rf "$staging"; }
trap cleanup EXIT

for item in "${required[@]}"; do
  if [ ! -e "$root/$item" ]; then
    echo "stage-module: $root/$item is missing" >&2
    exit 1
  fi
  cp -R "$root/$item" "$staging/"
done
for item in "${optional[@]}"; do
  if [ -e "$root/$item" ]; then cp -R "$root/$item" "$staging/"; fi
done
rm -rf "$staging/docs/internal"
if [ -d "$staging/docs" ] && [ -z "$(ls -A "$staging/docs")" ]; then rmdir "$staging/docs"; fi
if [ "$with_lint" = 1 ]; then
  if [ -e "$root/.dmtlint.yaml" ]; then cp "$root/.dmtlint.yaml" "$staging/"; fi
  for recipe in "$root"/images/*/Dockerfile "$root"/images/*/werf.inc.yaml; do
    [ -e "$recipe" ] || continue
    image_dir="$staging/images/$(basename "$(dirname "$recipe")")"
    mkdir -p "$image_dir"
    cp "$recipe" "$image_dir/"
  done
fi
if [ "$with_hooks" = 1 ]; then
  mkdir "$staging/hooks"
  # A hard link when possible (the executable is ~100 MB); a copy across file systems. Never a
  # symlink: the hooks find the module directory from their own path (hooks/<exe> -> module).
  ln "$hooks_bin" "$staging/hooks/swh-hooks" 2>/dev/null || cp "$hooks_bin" "$staging/hooks/swh-hooks"
fi
chmod -R u+rwX,go+rX "$staging"

# Swap the new tree in: rename the old one aside first (a directory cannot be renamed over a
# non-empty one), then remove it.
if [ -e "$out" ]; then
  old="$(mktemp -d "$parent/.stage-module-old.XXXXXX")"
  mv "$out" "$old/module"
  mv "$staging" "$out"
  rm -rf "$old"
else
  mv "$staging" "$out"
fi
trap - EXIT
echo "$out"

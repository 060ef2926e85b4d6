#!/usr/bin/env bash
# An offline wheelhouse for sites without internet (docs/operations.md).
#
#   deploy/wheelhouse.sh build [WHEELHOUSE]            # with internet; same OS, CPU and Python
#                                                      # minor version as the site
#   deploy/wheelhouse.sh install VENV [WHEELHOUSE]     # at the site: never asks an index
#   deploy/wheelhouse.sh --dry-run build|install …     # print the commands, run nothing
#
# build: every pinned dependency of deploy/requirements.lock as a wheel
# (pip download --only-binary=:all:, so the site never compiles) plus the
# coalguard wheel of this checkout (pip wheel --no-deps). install: a venv
# (made when missing), then the pins and coalguard from the wheelhouse only
# (--no-index --find-links). PYTHON picks the interpreter (default python3).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
lock="$here/requirements.lock"
python="${PYTHON:-python3}"

dry=0
if [ "${1:-}" = "--dry-run" ]; then
    dry=1
    shift
fi

run() {
    if [ "$dry" = 1 ]; then
        printf '%q ' "$@"
        printf '\n'
    else
        "$@"
    fi
}

usage() {
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

case "${1:-}" in
build)
    wheelhouse="${2:-wheelhouse}"
    run "$python" -m pip download --only-binary=:all: --requirement "$lock" --dest "$wheelhouse"
    run "$python" -m pip wheel --no-deps --wheel-dir "$wheelhouse" "$root"
    ;;
install)
    [ $# -ge 2 ] || usage
    venv="$2"
    wheelhouse="${3:-wheelhouse}"
    if [ ! -x "$venv/bin/python" ]; then
        run "$python" -m venv "$venv"
    fi
    run "$venv/bin/python" -m pip install --no-index --find-links "$wheelhouse" --requirement "$lock"
    run "$venv/bin/python" -m pip install --no-index --find-links "$wheelhouse" --no-deps coalguard
    ;;
*)
    usage
    ;;
esac

#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (python3.10 on PATH, else the newest
# ~/.pyenv/versions/3.10*), or exit 1 when there is none.
set -uo pipefail
for c in $(command -v python3.10) $(ls -d "$HOME"/.pyenv/versions/3.10*/bin/python3.10 2>/dev/null | sort -rV); do
    if "$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; then
        "$c" -c 'import sys; print(sys.executable)'
        exit 0
    fi
done
exit 1

#!/bin/sh
# Set up a fresh Debian machine (as root) for lstmsym.
#   sh scripts/setup.sh gallery   Graphviz, TeX and the package: enough to build the gallery
#   sh scripts/setup.sh test      all of the above, plus PyTorch (CPU, pinned), Keras 3, JAX/Flax, ONNX Runtime, Triton, Chromium and the test tools
set -eu
what="${1:-test}"
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
export PIP_BREAK_SYSTEM_PACKAGES=1   # Debian marks its Python as externally managed (PEP 668)
if command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends graphviz texlive-latex-base texlive-latex-recommended texlive-pictures latexmk >/dev/null
    if [ "$what" = test ]; then
        # The HTML handbook's tests drive Debian's Chromium through Playwright (no browser download).
        apt-get install -y -qq --no-install-recommends chromium >/dev/null
    fi
fi
python3 -m pip install -q --upgrade pip >/dev/null 2>&1 || true
case "$what" in
    gallery) python3 -m pip install -q -e ".[gallery]" ;;
    test)
        # PyTorch first and pinned: an unpinned torch would pull a CUDA build of several GB.
        python3 -m pip install -q "torch==2.13.0"
        # Triton (about 1 GB unpacked) comes with the test extra: its interpreter checks the fused kernels on the CPU.
        python3 -m pip install -q -e ".[test,torch,jax,onnx,gallery,triton]" ;;
    *) echo "usage: sh scripts/setup.sh gallery|test" >&2; exit 2 ;;
esac

"""Version / build facts about the llama-cpp-python + vendored llama.cpp in use.

Shared by make_qwen_references.py, make_tiny_lm_llama_cpp.py and bench_llama_cpp.py.
"""

from __future__ import annotations

import hashlib
import platform
from pathlib import Path

# llama-cpp-python is installed from its PyPI sdist, which carries no git metadata, so the
# vendored llama.cpp's own build-info reports commit "unknown". The commit below is the one
# named in llama-cpp-python's CHANGELOG.md for release 0.3.36
# ("feat: update llama.cpp to ggml-org/llama.cpp@0c1e57098").
VENDORED_LLAMA_CPP_COMMIT = {
    "0.3.36": "0c1e57098",
}


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def build_info() -> dict:
    import llama_cpp

    pkg_dir = Path(llama_cpp.__file__).parent
    libs = sorted(p.name for p in (pkg_dir / "lib").glob("lib*.so*")) if (pkg_dir / "lib").is_dir() else []
    ggml_version = None
    for name in libs:
        # e.g. libggml-base.so.0.25.3
        if name.startswith("libggml-base.so.") and name.count(".") >= 4:
            ggml_version = name[len("libggml-base.so."):]
    try:
        system_info = llama_cpp.llama_print_system_info().decode("utf-8", "replace").strip()
    except Exception as e:  # pragma: no cover
        system_info = f"unavailable: {e}"
    return {
        "llama_cpp_python_version": llama_cpp.__version__,
        "llama_cpp_commit": VENDORED_LLAMA_CPP_COMMIT.get(llama_cpp.__version__, "unknown"),
        "llama_cpp_commit_source": "llama-cpp-python CHANGELOG.md entry for this release (sdist has no git metadata, so llama.cpp's build-info says 'unknown')",
        "ggml_version": ggml_version,
        "shared_libraries": libs,
        "system_info": system_info,
        "build": "pip install --no-binary llama-cpp-python with CMAKE_ARGS='-DGGML_NATIVE=ON -DLLAVA_BUILD=OFF' (CPU only, OpenMP)",
        "python": platform.python_version(),
        "machine": platform.machine(),
    }

"""The wheel is the product: installed into a fresh virtualenv outside the source tree, ``vrstore demo`` serves
a working lobby, store page, client, three.js and scenes, with its data in ./data of where it runs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from factories import free_port
from uv import find_uv_bin

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "server", "storefront_builder", "web_client", "assets",
           "tools/build_client.mjs")


def build_wheel(work: Path) -> Path:
    """Build from a copy of the sources, so the build leaves nothing (build/, *.egg-info) in the checkout."""
    source = work / "src"
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "_bundle", "*.so"))
        else:
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    (source / "node_modules").symlink_to(ROOT / "node_modules")
    out = work / "dist"
    subprocess.run([sys.executable, "-c", f"from setuptools import build_meta; build_meta.build_wheel({str(out)!r})"],
                   cwd=source, check=True, capture_output=True, timeout=300)
    (wheel,) = out.glob("vrstore-*.whl")
    return wheel


def install(wheel: Path, venv: Path) -> Path:
    """A fresh venv with the locked dependencies (hash-checked; uv reuses its cache) and then the wheel itself."""
    uv = find_uv_bin()
    env = {**os.environ, "VIRTUAL_ENV": ""}
    requirements = venv.parent / "requirements.txt"
    subprocess.run([uv, "export", "--frozen", "--no-dev", "--no-emit-project", "--quiet", "-o", str(requirements)],
                   cwd=ROOT, check=True, capture_output=True, env=env, timeout=120)
    subprocess.run([uv, "venv", "--quiet", "--python", sys.base_prefix + "/bin/python3", str(venv)],
                   check=True, capture_output=True, env=env, timeout=120)
    python = venv / "bin" / "python"
    for args in (["-r", str(requirements), "--require-hashes"], ["--no-deps", str(wheel)]):
        done = subprocess.run([uv, "pip", "install", "--quiet", "--python", str(python), *args],
                              capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
    return venv / "bin"


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, dict(response.headers), response.read()


@pytest.mark.slow
def test_the_installed_wheel_serves_the_demo_festival(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "build")
    bin_dir = install(wheel, tmp_path / "venv")
    run_dir = tmp_path / "elsewhere"
    run_dir.mkdir()
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "VRSTORE_PORT": str(free_port()),
           "VRSTORE_LOG_LEVEL": "WARNING"}
    # The live service's sender thread is compiled by the wheel's own build (the checkout's copy is left out).
    where = subprocess.run([bin_dir / "python", "-c", "import server, storefront_builder, server.live._send_thread; "
                            "print(server.__file__)"], cwd=run_dir, env=env, capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(tmp_path / "venv")), "the test must run the installed copy, not the checkout"
    # The load generator is a tool of the source checkout: the installed command says so in one line.
    loadtest = subprocess.run([bin_dir / "vrstore", "loadtest"], cwd=run_dir, env=env, capture_output=True,
                              text=True, timeout=60)
    assert loadtest.returncode == 2 and "source checkout" in loadtest.stderr, loadtest.stderr
    assert "Traceback" not in loadtest.stderr

    demo = subprocess.Popen([bin_dir / "vrstore", "demo"], cwd=run_dir, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        assert demo.stdout is not None
        for line in demo.stdout:  # the demo prints its URLs, then "vrstore listening on …" once it serves
            if line.startswith("vrstore listening on "):
                base = line.split()[-1]
                break
        else:
            raise AssertionError(f"vrstore demo exited with {demo.wait()}")
        status, _, lobby = get(base + "/")
        assert status == 200 and b'<html lang="ko"' in lobby
        status, headers, page = get(base + "/store/hyundai-dept")
        assert status == 200 and "Content-Security-Policy" in headers
        # The wheel carries the client's production build: the page loads its hashed bundle, not the modules.
        bundle = re.search(rb'<script type="module" src="(/web/dist/main-[A-Z0-9]+\.js)"', page)
        assert bundle and b"importmap" not in page, page
        status, headers, body = get(base + bundle[1].decode())
        assert status == 200 and "immutable" in headers["Cache-Control"] and body
        for asset in ("/web/js/main.js", "/vendor/three/build/three.module.js", "/vendor/three/build/three.core.js",
                      "/vendor/three/examples/jsm/loaders/GLTFLoader.js",
                      "/vendor/three/examples/jsm/utils/BufferGeometryUtils.js",
                      "/vendor/three/examples/jsm/libs/meshopt_decoder.module.js"):
            status, headers, body = get(base + asset)
            assert status == 200 and headers["Content-Type"].startswith("text/javascript") and body, asset
        _, _, store = get(base + "/api/v1/stores/hyundai-dept")
        scene = json.loads(store)["scene"]
        status, _, glb = get(base + scene["glb"])
        assert status == 200 and glb[:4] == b"glTF"
        status, _, manifest = get(base + scene["manifest"])
        assert status == 200 and json.loads(manifest)
    finally:
        demo.terminate()
        demo.communicate(timeout=30)  # drains and closes the pipe
    assert (run_dir / "data" / "vrstore.db").is_file()  # ./data of where it runs, documented
    assert not list((tmp_path / "venv").rglob("vrstore.db"))  # never inside site-packages

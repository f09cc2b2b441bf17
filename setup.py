"""Build hook: a wheel carries the web client, the three.js and uPlot files it imports and ``assets/``.

Everything else is declared in pyproject.toml. The copies go into ``<package>/_bundle/`` of the build only;
``storefront_builder/resources.py`` finds them there, and in the checkout when they are absent (editable
installs, running from the source tree). npm must have installed ``three`` and ``esbuild`` (``npm ci``) before a
wheel build: the hook runs ``tools/build_client.mjs`` so the wheel carries the client's production build
(``web_client/dist/``) made from the very sources it carries.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
THREE = ROOT / "node_modules" / "three"
# The three.js modules the client imports: "three" itself and what it names under "three/addons/".
THREE_BUILD = ("three.module.js", "three.core.js")
ADDON_IMPORT = re.compile(r"""["']three/addons/([A-Za-z0-9_/.-]+\.js)["']""")
RELATIVE_IMPORT = re.compile(r"""(?:from|import)\s*["'](\.{1,2}/[A-Za-z0-9_/.-]+\.js)["']""")


def addon_closure(client: Path, jsm: Path) -> set[Path]:
    """The files under ``examples/jsm`` the client imports, with everything they import in turn."""
    modules = [path for path in client.rglob("*.js") if "dist" not in path.relative_to(client).parts[:1]]
    todo = [jsm / match for path in modules for match in ADDON_IMPORT.findall(path.read_text("utf-8"))]
    seen: set[Path] = set()
    while todo:
        path = todo.pop().resolve()
        if path in seen:
            continue
        if not path.is_file():
            raise SystemExit(f"setup.py: {path} is missing: run `npm ci` before building the wheel")
        seen.add(path)
        todo += [path.parent / rel for rel in RELATIVE_IMPORT.findall(path.read_text("utf-8"))]
    return seen


class BundleBuildPy(build_py):
    """build_py that also copies the served and shipped files into the build (not in editable mode)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads them from the checkout
        server_bundle = Path(self.build_lib) / "server" / "_bundle"
        builder_bundle = Path(self.build_lib) / "storefront_builder" / "_bundle"
        for target in (server_bundle, builder_bundle):
            shutil.rmtree(target, ignore_errors=True)
        node = shutil.which("node")
        if node is None or not (ROOT / "node_modules" / "esbuild").is_dir():
            raise SystemExit("setup.py: node and npm's esbuild are needed: run `npm ci` before building the wheel")
        subprocess.run([node, str(ROOT / "tools" / "build_client.mjs"), "--quiet"], cwd=ROOT, check=True)
        shutil.copytree(ROOT / "web_client", server_bundle / "web_client")
        shutil.copytree(ROOT / "assets", builder_bundle / "assets", ignore=shutil.ignore_patterns("__pycache__"))
        for name in THREE_BUILD:
            source = THREE / "build" / name
            if not source.is_file():
                raise SystemExit(f"setup.py: {source} is missing: run `npm ci` before building the wheel")
            (server_bundle / "three" / "build").mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, server_bundle / "three" / "build" / name)
        jsm = THREE / "examples" / "jsm"
        for path in addon_closure(ROOT / "web_client", jsm):
            target = server_bundle / "three" / "examples" / "jsm" / path.relative_to(jsm.resolve())
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        shutil.copy2(THREE / "LICENSE", server_bundle / "three" / "LICENSE")
        uplot = ROOT / "node_modules" / "uplot"
        (server_bundle / "uplot").mkdir(parents=True, exist_ok=True)
        for name in ("dist/uPlot.esm.js", "dist/uPlot.min.css", "LICENSE"):
            if not (uplot / name).is_file():
                raise SystemExit(f"setup.py: {uplot / name} is missing: run `npm ci` before building the wheel")
            shutil.copy2(uplot / name, server_bundle / "uplot" / Path(name).name)


# The live service's sender thread (server/live/tick_writes.py). Optional: where it cannot be compiled, the
# install goes on and the live service writes every frame from the loop's thread, as it did before.
SEND_THREAD = Extension("server.live._send_thread", ["server/live/_send_thread.c"], optional=True,
                        extra_compile_args=["-O2", "-std=c11", "-Wall", "-Werror"])

setup(cmdclass={"build_py": BundleBuildPy}, ext_modules=[SEND_THREAD])

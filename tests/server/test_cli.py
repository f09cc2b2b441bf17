"""The vrstore command: clear messages, never tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def vrstore(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"VRSTORE_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "server", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_create_festival_prints_the_token_once_and_refuses_a_duplicate(tmp_path: Path) -> None:
    first = vrstore(tmp_path, "admin", "create-festival", "--slug", "ksf", "--name", "코리아 세일 페스타")
    assert first.returncode == 0, first.stderr
    token = first.stdout.strip().splitlines()[-1]
    assert token.startswith("vro_") and len(token) > 40
    again = vrstore(tmp_path, "admin", "create-festival", "--slug", "ksf", "--name", "x")
    assert again.returncode == 1
    assert "already exists" in again.stderr and "Traceback" not in again.stderr


def test_create_festival_rejects_bad_input_clearly(tmp_path: Path) -> None:
    bad_slug = vrstore(tmp_path, "admin", "create-festival", "--slug", "Bad Slug!", "--name", "x")
    assert bad_slug.returncode == 1 and "Traceback" not in bad_slug.stderr and "error" in bad_slug.stderr
    bad_zone = vrstore(tmp_path, "admin", "create-festival", "--slug", "ok", "--name", "x", "--timezone", "Nope/No")
    assert bad_zone.returncode == 1 and "time zone" in bad_zone.stderr


def test_migrate_reports_the_head_revision(tmp_path: Path) -> None:
    from server.persistence.migrate import head_revision

    result = vrstore(tmp_path, "migrate")
    assert result.returncode == 0, result.stderr
    assert head_revision() in result.stdout


def test_demo_seed_is_idempotent(tmp_path: Path) -> None:
    first = vrstore(tmp_path, "demo", "--seed-only")
    second = vrstore(tmp_path, "demo", "--seed-only")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "Korea Sale Festa" in second.stdout
    # tokens are re-issued on every run (the old ones revoked), stores are not duplicated
    assert first.stdout.count("/store/") == second.stdout.count("/store/") >= 4


def test_import_and_build_through_the_vrstore_command(tmp_path: Path) -> None:
    from storefront_builder.catalog.sample import sample_catalog_json

    catalog = tmp_path / "catalog.json"
    catalog.write_text(sample_catalog_json("convenience_store", 40), encoding="utf-8")
    shown = vrstore(tmp_path, "import", str(catalog))
    assert shown.returncode == 0, shown.stderr
    assert "CON-00001" in shown.stdout
    built = vrstore(tmp_path, "build", "--catalog", str(catalog), "--template", "convenience_store",
                    "-o", str(tmp_path / "out" / "store.glb"), "--preview", str(tmp_path / "plan.png"))
    assert built.returncode == 0, built.stdout + built.stderr
    assert (tmp_path / "out" / "store.glb").read_bytes()[:4] == b"glTF"
    assert (tmp_path / "out" / "store.json").exists() and (tmp_path / "out" / "store.report.json").exists()
    assert (tmp_path / "plan.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    missing = vrstore(tmp_path, "import", str(tmp_path / "nope.csv"))
    assert missing.returncode != 0 and "Traceback" not in missing.stderr + missing.stdout


def test_help_and_light_commands_import_no_heavy_module(tmp_path: Path) -> None:
    # `vrstore --help` (and every command but import, build and loadtest) must not pay for numpy, trimesh or the
    # load generator: each vrstore invocation would start that much slower.
    probe = ("import sys\nsys.argv = ['vrstore', '--help']\nfrom server.cli import main\ntry:\n    main()\n"
             "except SystemExit:\n    pass\nprint(sorted({'numpy', 'trimesh', 'loadtest.run'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "loadtest" in result.stdout and "build" in result.stdout  # listed, with their help
    assert result.stdout.strip().splitlines()[-1] == "[]"
    built = vrstore(tmp_path, "build", "--help")
    assert built.returncode == 0 and "--catalog" in built.stdout

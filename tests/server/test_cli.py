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
    from server.db.migrate import head_revision

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

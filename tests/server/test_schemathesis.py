"""Schemathesis over every operation of a live server: 0 server errors, 0 schema violations."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import LiveServer, start_live_server, stop_live_server

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    server = start_live_server(tmp_path)
    try:
        yield server
    finally:
        stop_live_server(server)


def _run(live: LiveServer, tmp_path: Path, token: str, name: str) -> None:
    schemathesis = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [str(schemathesis), "run", f"{live.url}/api/v1/openapi.json", "--checks", CHECKS,
         "--phases", "examples,coverage,fuzzing", "--max-examples", "25", "--seed", "1",
         "--workers", "2", "--no-color", "-H", f"Authorization: Bearer {token}",
         "--report", "junit", "--report-junit-path", str(tmp_path / f"{name}.xml"),
         "--generation-database", "none", "--generation-with-security-parameters", "false",
         # Signing out would revoke the token the rest of the run uses; test_authz covers it.
         "--exclude-operation-id", "delete_session",
         # Raw uploads accept several media types; Hypothesis filters many draws, which is no server fault.
         "--suppress-health-check", "filter_too_much"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


@pytest.mark.slow
def test_schemathesis_finds_no_server_errors(live: LiveServer, tmp_path: Path) -> None:
    out = live.vrstore("admin", "create-festival", "--slug", "fest", "--name", "축제")
    organizer = out.strip().splitlines()[-1]
    request = urllib.request.Request(
        f"{live.url}/api/v1/festivals/fest/merchants", data=json.dumps({"name": "m"}).encode(), method="POST",
        headers={"Authorization": f"Bearer {organizer}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        merchant = json.loads(response.read())["token"]
    # Each run may sign its own token out (DELETE /sessions/current), so both are made first.
    _run(live, tmp_path, organizer, "organizer")
    _run(live, tmp_path, merchant, "merchant")

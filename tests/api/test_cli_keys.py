"""`summit keys create`: the key on the last line works; bad roles and delegations exit 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.api.conftest import ROOT, Server


def test_created_key_works(server: Server) -> None:
    key = server.create_key_cli("liaison", "VNM")
    assert key.startswith("sk_")
    with server.client(key) as client:
        assert client.get("/scenarios").status_code == 403  # a liaison: authenticated, not allowed


@pytest.mark.parametrize("args", [["--role", "emperor"], ["--role", "liaison"],
                                  ["--role", "viewer", "--delegation", "FRA"]])
def test_bad_arguments_exit_2(server: Server, args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", "api.cli", "keys", "create", *args], cwd=ROOT, env=server.env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr

"""The ``python -m synthetic`` command: help, and one-line errors with exit 2 before any work."""

import subprocess
import sys

import pytest


def run(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "synthetic", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_help_documents_every_option(tmp_path):
    r = run("--help", cwd=tmp_path)
    assert r.returncode == 0
    for opt in (
        "--preset",
        "--customers",
        "--seed",
        "--locale",
        "--set",
        "--config",
        "--data-dir",
        "--out",
        "--workers",
        "--no-progress",
        "--list-keys",
    ):
        assert opt in r.stdout


def test_list_keys(tmp_path):
    r = run("--list-keys", cwd=tmp_path)
    assert r.returncode == 0 and "outsourcing.satisfaction_effect" in r.stdout and "C5" in r.stdout


@pytest.mark.parametrize(
    "args, words",
    [
        (["-n", "0"], "-n/--customers: must be from 100 to"),
        (["-n", "-5"], "-n/--customers"),
        (["-n", "many"], "--customers"),
        (["--set", "purchase.dropout_mean=1.5"], "purchase.dropout_mean"),
        (
            ["--set", "segments.mix={consumer: 0.9, small_business: 0.9, large_enterprise: 0.1, public_sector: 0.1}"],
            "sum to 1",
        ),
        (["--set", "world.end=1990-01-01"], "world.end"),
        (["--preset", "future"], "--preset"),
        (["--locale", "xx_XX"], "locale"),
        (["--set", "no.such_key=1"], "no.such_key"),
        (["--set", "market.share_before=abc"], "market.share_before"),
        (["--set", "novalue"], "--set"),
        (["--config", "missing.yml"], "--config"),
        (["--config", "bad.yml"], "--config"),
        (["--workers", "0"], "-w/--workers"),
        (["--out", "/proc/forbidden/world"], "--out"),
    ],
)
def test_bad_input_one_line_exit_2_no_folder(tmp_path, args, words):
    (tmp_path / "bad.yml").write_text("spend: [oops\n")
    r = run(*args, "--data-dir", "out-data", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and words in lines[0], r.stderr
    assert not (tmp_path / "out-data").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yml"]


def test_generates_and_caches(tmp_path):
    r = run("-n", "500", "--no-progress", "--data-dir", "d", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "wrote" in r.stdout
    r2 = run("-n", "500", "--no-progress", "--data-dir", "d", cwd=tmp_path)
    assert r2.returncode == 0 and r2.stdout.startswith("cached:")

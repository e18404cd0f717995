"""README "Going live": its commands, run as written in a shell, against the Twilio stand-in.

A fresh database, the environment of deploy/fluxx.env.example pointed at the stand-in; every
`flask --app app ...` line of the section's code block runs as a real process.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures_twilio import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN
from tests.twilio_standin import TwilioStandIn

ROOT = Path(__file__).resolve().parents[2]
HOTLINE = "+4951187654321"
BASE = "https://hotline.example.org"


def going_live_commands() -> list[list[str]]:
    """Return the commands of README's "Going live" code block (comments stripped)."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Going live", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "README's Going live section has no ```sh block"
    return [shlex.split(line.split("#", 1)[0]) for line in block.group(1).splitlines() if line.strip()]


@pytest.mark.timeout(300)  # real processes: several app start-ups
def test_the_going_live_commands_run_against_the_standin(tmp_path: Path, twilio_standin: TwilioStandIn) -> None:
    sid = twilio_standin.add_number(HOTLINE, voice_url="https://demo.twilio.com/welcome/voice/")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "DATABASE_URL", "FLASK_"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'fluxx.sqlite3'}", TWILIO_ACCOUNT_SID=TEST_ACCOUNT_SID,
               TWILIO_AUTH_TOKEN=TEST_AUTH_TOKEN, TWILIO_API_BASE=twilio_standin.base_url, HOTLINE_NUMBER=HOTLINE,
               PUBLIC_BASE_URL=BASE, FALLBACK_NUMBER="+495111680000", SECRET_KEY="s" * 64,
               METRICS_TOKEN="t" * 32, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    commands = going_live_commands()
    assert [c[:4] for c in commands if c[:3] == ["flask", "--app", "app"]] and all(c[0] == "flask" for c in commands)

    outputs = {}
    for command in commands:
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
        name = " ".join(command[3:5])
        outputs[name] = result
        if command[3] != "doctor":  # the doctor may find the roster empty: it says so and exits 1
            assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
        assert "Traceback" not in result.stderr, result.stderr

    assert twilio_standin.numbers[sid]["voice_url"] == f"{BASE}/voice/incoming"
    assert len(twilio_standin.number_requests("POST")) == 1  # the dry run sent nothing
    doctor = outputs["doctor"].stdout.splitlines()
    assert len(doctor) == 13  # one line per check (ops.doctor), the SMS texts included
    ok_lines = [line for line in doctor if line.startswith("ok")]
    for expected in ("Schema aktuell", "Twilio-Zugangsdaten gültig", f"Die Nummer {HOTLINE} zeigt mit allen",
                     f"PUBLIC_BASE_URL {BASE} passt", "aktive Leitung", "FALLBACK_NUMBER gesetzt",
                     "SECRET_KEY und TWILIO_AUTH_TOKEN kommen aus der Umgebung"):
        assert any(expected in line for line in ok_lines), (expected, doctor)
    assert outputs["doctor"].returncode == 1  # a fresh hotline: no worker tick, no roster yet
    assert any(line.startswith("error") and "Worker" in line for line in doctor)

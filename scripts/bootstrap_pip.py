"""Put pip into a virtual environment made with --without-pip (Debian without python3-venv).

Fetches the newest pip wheel from PyPI and runs pip from inside the wheel to install itself.
"""

import json
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

venv_python = Path(sys.argv[0]).resolve().parent.parent / ".venv" / "bin" / "python"
with urllib.request.urlopen("https://pypi.org/pypi/pip/json", timeout=60) as resp:
    info = json.load(resp)
wheel = next(u for u in info["urls"] if u["filename"].endswith(".whl"))
with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / wheel["filename"]
    urllib.request.urlretrieve(wheel["url"], path)
    subprocess.run([str(venv_python), f"{path}/pip", "install", "-q", str(path)], check=True)

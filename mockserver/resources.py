"""Where the specs and the fixtures are, and what mockserver keeps between runs.

They live at the top of the repository (they are the design, not code). A wheel carries
copies inside the package (see pyproject.toml), so look there first, then in the checkout.
"""

import json
import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"{name} is neither in {_PACKAGE} nor in {_PACKAGE.parent}")


SPEC_PATH = _find("openapi.yaml")
CONTROL_SPEC_PATH = _find("control-plane.yaml")
FIXTURES_DIR = _find("fixtures")
CONTRACT_CONFIG_PATH = _find("schemathesis.toml")


def seeded_business() -> dict:
    """The business the fixtures seed (the docs' business_id 1), for the serve banner."""
    return json.loads((FIXTURES_DIR / "businesses.json").read_text(encoding="utf-8"))[0]


def cache_folder(name: str) -> Path:
    """Where mockserver keeps `name` between runs: the user's cache folder (XDG_CACHE_HOME or
    ~/.cache), under mockserver/; made by whoever writes there."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mockserver" / name

"""No module of the engine is over 600 lines: past that, a module is doing more than one thing, and
is split by what it does (as ``course/package/`` is, by the kind of file read)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 600


def test_no_module_of_the_engine_is_over_600_lines():
    paths = [ROOT / "app.py", *sorted((ROOT / "course").rglob("*.py"))]
    sizes = {path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines()) for path in paths}
    assert not {name: size for name, size in sizes.items() if size > LIMIT}

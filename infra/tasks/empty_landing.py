"""`empty_landing.py FOLDER`: delete everything inside the landing folder, keep the folder.

The optional step of the "Drop Tables" job (job parameter `empty_landing=true`), run as
a Spark Python task on a classic cluster, where Unity Catalog volumes are mounted under
/Volumes. The folder itself stays: the pipeline's source reads it. Standard library only.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def empty_folder(folder: Path) -> int:
    """Remove every file and folder inside `folder`; return how many entries went."""
    if not folder.is_dir():
        return 0
    removed = 0
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
        removed += 1
    return removed


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].startswith("/Volumes/"):
        print("usage: empty_landing.py /Volumes/<catalog>/<schema>/<volume>/<folder>")
        return 2
    removed = empty_folder(Path(argv[0]))
    print(f"removed {removed} entries from {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

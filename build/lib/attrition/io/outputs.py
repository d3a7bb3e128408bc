"""Safe outputs: checked paths, atomic writes, and no leftovers of killed runs.

Every writer builds its output under a hidden sibling name, ``.NAME.tmp-<pid>-<hex>``,
and renames it into place, so a reader sees the old output or the new one, never
half. A run that is killed leaves that hidden sibling behind; the next write of the
same ``NAME`` removes it (only names of that exact pattern, and only when the process
that made them is gone), never anything else.

A folder that a command owns (``attrition generate --out DIR``) holds a small marker
file listing what the command wrote. A later run replaces those files and only those:
a non-empty folder without the marker is refused unless forced, and files the product
did not write are never deleted.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from attrition.errors import OutputError

logger = logging.getLogger(__name__)

_TEMP = re.compile(r"^\.(?P<name>.+)\.tmp-(?P<pid>\d+)-[0-9a-f]{32}$")


def temp_path(path: Path) -> Path:
    """A fresh hidden sibling of ``path`` to build it in: ``.NAME.tmp-<pid>-<hex>``."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex}")


def _process_alive(pid: int) -> bool:
    if pid == os.getpid() or os.name != "posix":
        return True  # our own run, or no safe way to ask: keep it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def remove_stale_temps(path: Path) -> list[Path]:
    """Remove the hidden temporaries of ``path`` left by runs that were killed.

    Only siblings named ``.NAME.tmp-<pid>-<hex>`` for this exact ``NAME`` whose process
    no longer runs are removed (a concurrent writer's temporary is kept).
    """
    parent = path.parent
    if not parent.is_dir():
        return []
    removed = []
    for entry in parent.iterdir():
        match = _TEMP.match(entry.name)
        if not match or match["name"] != path.name or _process_alive(int(match["pid"])):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    if removed:
        logger.info("removed %d leftover(s) of killed runs beside %s", len(removed), path)
    return removed


def check_output_file(path: str | os.PathLike[str], *, example: str | None = "out.parquet") -> Path:
    """Check, before any work, that ``path`` can be written as a file.

    The check is real: a hidden probe file (the writers' temporary naming) is created
    and removed in the nearest existing folder, so a read-only file system, a folder
    the user cannot write or a place such as ``/proc`` is refused up front (``os.access``
    alone says yes to root everywhere).

    ``example`` is a file name to suggest inside ``path`` when the user named a folder;
    pass ``None`` for a path the command chose itself (a folder there is a stray).

    Raises
    ------
    attrition.errors.OutputError
        If ``path`` is a folder, sits under a file, or its nearest existing folder does
        not accept new files.
    """
    path = Path(path)
    if path.is_dir():
        if example is None or path.suffix:
            raise OutputError(
                f"cannot write the file {path}: a folder of that name is in the way; move "
                "or rename that folder, or choose another output path"
            )
        raise OutputError(f"output {path} is a folder; pass a file path, e.g. {path / example}")
    child, parent = path, path.parent
    while not parent.exists() and parent != parent.parent:
        child, parent = parent, parent.parent
    if not parent.is_dir():
        raise OutputError(f"cannot write {path}: {parent} is a file, not a folder")
    _probe(path, parent, temp_path(child))
    return path


def _probe(path: Path, folder: Path, probe: Path) -> None:
    """Create and remove ``probe`` in ``folder``; refuse ``path`` when that fails."""
    try:
        fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise OutputError(
            f"cannot write {path}: the folder {folder} does not accept new files (the system "
            f"says: {why}); choose another output path"
        ) from exc
    os.close(fd)
    try:
        os.unlink(probe)
    except OSError:
        logger.warning("could not remove the probe file %s", probe)


def write_atomic(path: str | os.PathLike[str], write: Callable[[Path], object]) -> Path:
    """Write one file atomically: ``write(tmp)`` fills a hidden sibling, renamed into place.

    Leftovers of killed writes of the same file are removed first; the temporary is
    removed on every failure.
    """
    path = check_output_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path)
    tmp = temp_path(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """A small text file (JSON, a counter), written atomically."""
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def swap_into_place(tmp: Path, dest: Path) -> None:
    """Rename the folder ``tmp`` to ``dest``; an existing ``dest`` is renamed away first
    and deleted last (callers check that everything in it is theirs to delete)."""
    if not dest.exists():
        os.rename(tmp, dest)
        return
    old = temp_path(dest)
    os.rename(dest, old)
    try:
        os.rename(tmp, dest)
    except BaseException:
        os.rename(old, dest)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _entries(folder: Path) -> set[str]:
    """Every file, folder and link under ``folder`` (relative, '/'-separated)."""
    found = set()
    for root, dirs, files in os.walk(folder):  # links to folders are listed, not followed
        rel = Path(root).relative_to(folder)
        found.update((rel / name).as_posix() for name in (*dirs, *files))
    return found


def _with_parents(files: Iterable[str]) -> set[str]:
    out = set()
    for f in files:
        out.add(f)
        out.update(p.as_posix() for p in Path(f).parents if p != Path("."))
    return out


def _listed_files(dest: Path, marker: str) -> set[str] | None:
    """What the marker says a previous run wrote; None when there is no marker."""
    path = dest / marker
    if not path.is_file():
        return None
    try:
        files = json.loads(path.read_text(encoding="utf-8")).get("files", [])
    except (OSError, ValueError, AttributeError):
        logger.warning("%s is unreadable; files it listed are kept", path)
        return set()
    # never trust a listed path outside the folder
    return {
        f
        for f in files
        if isinstance(f, str) and not Path(f).is_absolute() and ".." not in Path(f).parts
    }


def check_owned_folder(dest: str | os.PathLike[str], marker: str, *, force: bool) -> None:
    """Refuse ``dest`` unless it is missing, empty, a previous output (it holds
    ``marker``) or ``force`` is set. Call it before the work that fills the folder."""
    dest = Path(dest)
    if not dest.exists():
        check_output_file(dest / marker)
        return
    if not dest.is_dir():
        raise OutputError(f"output {dest} is a file; pass a folder")
    if force or (dest / marker).is_file() or not any(dest.iterdir()):
        return
    shown = sorted(_entries(dest))
    raise OutputError(
        f"output folder {dest} is not empty ({len(shown)} entries, e.g. {shown[:5]}) and is "
        "not the output of a previous run of this command; choose an empty or new folder, "
        "or pass --force to write into it (files of the same names are replaced, nothing "
        "else is deleted)"
    )


def write_owned_folder(
    dest: str | os.PathLike[str],
    build: Callable[[Path], object],
    *,
    marker: str,
    info: dict[str, Any],
    force: bool = False,
) -> Path:
    """Fill ``dest`` with what ``build(folder)`` writes, deleting only what a previous
    run wrote (as listed in ``marker``).

    ``build`` writes into a hidden sibling; a marker listing its files is added. When
    ``dest`` holds nothing but a previous run's files, the folder is swapped whole;
    otherwise each file is renamed into place and the previous run's files that are no
    longer written are deleted, so other files stay. Nothing changes in ``dest`` when
    ``build`` fails.
    """
    dest = Path(dest)
    check_owned_folder(dest, marker, force=force)
    dest.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(dest)
    tmp = temp_path(dest)
    tmp.mkdir()
    try:
        build(tmp)
        files = sorted(f for f in _entries(tmp) if (tmp / f).is_file())
        (tmp / marker).write_text(json.dumps({**info, "files": files}, indent=2), "utf-8")
        previous = _listed_files(dest, marker) or set()
        foreign = (_entries(dest) if dest.exists() else set()) - _with_parents(previous)
        foreign.discard(marker)
        if not foreign:
            swap_into_place(tmp, dest)
        else:
            _merge_into(tmp, dest, files, previous, marker)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _merge_into(tmp: Path, dest: Path, files: list[str], previous: set[str], marker: str) -> None:
    """Rename each new file into ``dest`` beside files the product did not write."""
    clashes = [
        f
        for f in files
        if (dest / f).is_dir()
        or any((dest / p).exists() and not (dest / p).is_dir() for p in Path(f).parents)
    ]
    if clashes:
        raise OutputError(
            f"cannot write into {dest}: {clashes[:5]} clash with folders or files there; "
            "move them away or choose another folder"
        )
    # a run killed half-way still leaves every file it may have written listed
    listing = json.loads((tmp / marker).read_text(encoding="utf-8"))
    every = sorted(previous | set(files))
    write_text_atomic(dest / marker, json.dumps({**listing, "files": every}, indent=2))
    for f in files:
        (dest / f).parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp / f, dest / f)
    for f in sorted(previous - set(files)):
        (dest / f).unlink(missing_ok=True)
        for parent in Path(f).parents:
            if (
                parent != Path(".")
                and (dest / parent).is_dir()
                and not any((dest / parent).iterdir())
            ):
                (dest / parent).rmdir()
    os.replace(tmp / marker, dest / marker)
    logger.info("wrote %d files into %s beside files this command did not write", len(files), dest)

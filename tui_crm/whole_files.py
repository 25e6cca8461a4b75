"""Files written whole or not at all, beside their target, and never over a device or a folder.

An export, a demo book and a backup are written to a private temporary file in the target's
folder (mode 0600 from the first byte, so a killed write leaves no customer data readable by
others) and renamed over the target at the end. The temporary file is named so it is
recognisably ours (`.tui-crm-export-….part`) and held locked while it is written; the next
write into that folder removes the ones a killed run left behind, and nothing else.
"""

from __future__ import annotations

import os
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from tui_crm.errors import CrmError

try:  # not on Windows: there the age of a leftover alone says it is no longer written
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

# A leftover untouched this long (and not locked) belongs to no live write: an export writes
# as it goes, and the slowest query before its first row takes seconds, not minutes.
LEFTOVER_AGE = 10 * 60
SIDE_SUFFIXES = ("-wal", "-shm", "-journal")  # what SQLite may keep beside a database file


def _me(owner: int) -> int:
    """Our user id (where a system has none, whoever owns the file)."""
    return os.geteuid() if hasattr(os, "geteuid") else owner


def _kind(mode: int) -> str | None:
    """What a file of this mode is, when it is not a regular file."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if not stat.S_ISREG(mode):
        return "a special file"
    return None


def write_target(path: str | os.PathLike[str], *, hint: str = "give a file name") -> Path:
    """Where writing `path` lands, or a one-line refusal.

    A regular file or a new name is itself. A symbolic link is written through: the file it
    points to is replaced and the link stays (as a shell's `>` would write through it), unless
    another user made the link in a shared folder such as /tmp (the rule of Linux's
    fs.protected_symlinks). A folder, a device, a pipe or a socket is refused, never replaced.
    """
    file = Path(path).expanduser()
    try:
        mode = file.stat().st_mode  # what the name leads to, through any links
    except FileNotFoundError:
        mode = None  # a new file, or a link to one
    except OSError as err:
        raise CrmError(f"{file}: cannot be written ({err.strerror or err})") from None
    if mode is not None and (kind := _kind(mode)) is not None:
        raise CrmError(f"{path} is {kind}; {hint}")
    if file.is_symlink():
        link, folder = file.lstat(), file.parent.stat()
        shared = folder.st_mode & stat.S_ISVTX and folder.st_mode & stat.S_IWOTH
        if shared and link.st_uid not in (_me(link.st_uid), folder.st_uid):
            raise CrmError(f"{file} is a link another user made in a shared folder; not followed")
        file = Path(os.path.realpath(file))
    if not file.parent.is_dir():
        raise CrmError(f"{file.parent} does not exist")
    return file


def _locked_by_someone(path: Path) -> bool:
    if fcntl is None:
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return True  # cannot tell: leave it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # closing drops the lock we may have taken
    return False


def _old_and_ours(path: Path, now: float) -> bool:
    try:
        info = path.lstat()
    except OSError:
        return False
    return (
        stat.S_ISREG(info.st_mode)
        and info.st_uid == _me(info.st_uid)
        and now - info.st_mtime >= LEFTOVER_AGE
    )


def clean_leftovers(folder: Path, prefix: str, suffix: str, *, now: float | None = None) -> int:
    """Remove what killed writes left in `folder`: our own temporary files (`prefix*suffix`,
    with SQLite's side files), owned by us, untouched for LEFTOVER_AGE and not locked by a
    live write. Return how many files went."""
    now = time.time() if now is None else now
    gone = []
    try:
        for part in folder.glob(f"{prefix}*{suffix}"):
            if _old_and_ours(part, now) and not _locked_by_someone(part):
                gone += [part, *(Path(f"{part}{side}") for side in SIDE_SUFFIXES)]
        for side in folder.glob(f"{prefix}*{suffix}-*"):
            main = Path(str(side).rsplit("-", 1)[0])
            if not main.exists() and _old_and_ours(side, now):
                gone.append(side)
    except OSError:
        return 0
    removed = 0
    for path in gone:
        with suppress(OSError):
            path.unlink()
            removed += 1
    return removed


@contextmanager
def replacing(target: Path, *, prefix: str, suffix: str) -> Iterator[Path]:
    """A private (0600), locked temporary file beside `target`, renamed over it when the block
    ends without an error and removed (with any SQLite side files) when it does not. A file
    being replaced keeps its permissions."""
    folder = target.parent
    clean_leftovers(folder, prefix, suffix)
    try:
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=folder)
    except OSError as err:
        raise CrmError(f"{target}: cannot be written ({err.strerror or err})") from None
    part = Path(name)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield part
        try:
            keep = stat.S_IMODE(target.stat().st_mode)
        except FileNotFoundError:
            keep = None
        if keep is not None:
            os.chmod(part, keep)
        with open(part, "rb") as written:  # on the disk before it takes the target's name
            os.fsync(written.fileno())
        os.replace(part, target)
    except BaseException:
        for one in (part, *(Path(f"{part}{side}") for side in SIDE_SUFFIXES)):
            with suppress(OSError):
                one.unlink()
        raise
    finally:
        os.close(fd)

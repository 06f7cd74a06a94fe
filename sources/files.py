"""Open input files safely, and quote untrusted text in one-line errors.

Every source reads its files through `read_input`: a file is read only when it lies inside its
root after every link is resolved, is a regular file (not a FIFO that blocks forever, not
/dev/zero that never ends, not a directory) and fits its size cap. Errors quote what they read
only through `quoted`/`excerpt`: redacted, clipped and with invisible characters escaped, so a
refused file never leaks a secret or a terminal escape into the error line.
"""

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from errors import BundleError
from sources.redact import redact

GIB, MIB = 1 << 30, 1 << 20
# Caps per kind of file: far above any real incident window, far below what exhausts memory.
CAPS = {
    "metrics": 2 * GIB,
    "logs": 1 * GIB,
    "manifest": 10 * MIB,
    "deploys": 10 * MIB,
    "diff": 10 * MIB,
    "expected": 10 * MIB,
}
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def read_input(root: Path, path: Path, kind: str, required: bool = True) -> bytes | None:
    """The bytes of `path`, a file inside `root`; None when it is absent and not required.

    Raises BundleError (naming `path`, never its content) when the file leaves `root` through a
    link, is not a regular file, is larger than CAPS[kind] or cannot be read.
    """
    with open_input(root, path, kind, required) as file:
        return None if file is None else file.read_all()


@contextmanager
def open_input(
    root: Path, path: Path, kind: str, required: bool = True
) -> Iterator["CappedFile | None"]:
    """`path`, a file inside `root`, open for reading with the checks of `read_input`; None
    when it is absent and not required. Reading it past CAPS[kind] raises BundleError."""
    where, cap = str(path), CAPS[kind]
    try:
        base = Path(root).resolve()
        target = Path(path).resolve()
    except (OSError, RuntimeError) as e:  # a link loop, a component that is not a directory
        raise BundleError(where, f"cannot resolve: {getattr(e, 'strerror', None) or e}") from None
    if not target.is_relative_to(base):
        raise BundleError(where, f"resolves to {quoted(str(target))}, outside the bundle; refused")
    try:
        # O_NOFOLLOW: the resolved path must not have become a link since; O_NONBLOCK: opening
        # a FIFO must not wait for a writer. fstat then checks what was actually opened.
        fd = os.open(target, _OPEN_FLAGS)
    except FileNotFoundError:
        if required:
            raise BundleError(where, "required file is missing") from None
        fd = None
    except OSError as e:
        raise BundleError(where, f"cannot read: {e.strerror}") from None
    if fd is None:
        yield None
        return
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise BundleError(where, f"is not a regular file ({_file_type(info.st_mode)}); refused")
        if info.st_size > cap:
            raise BundleError(where, f"is {info.st_size} bytes, over the {_size(cap)} limit")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb") as file:
            fd = -1  # closed with the file
            yield CappedFile(file, info.st_size, cap, where)
    except OSError as e:
        raise BundleError(where, f"cannot read: {e.strerror}") from None
    finally:
        if fd >= 0:
            os.close(fd)


class CappedFile:
    """An open input file that is never read past its cap (+1 byte, to tell it is over)."""

    def __init__(self, file, size: int, cap: int, where: str) -> None:
        self.file, self.size, self.cap, self.where = file, size, cap, where
        self.total = 0  # bytes read so far

    def read_all(self) -> bytes:
        """The whole file, reading at most cap + 1 bytes: a file that grew past its cap (or lied
        about its size, as /proc files do) is refused without reading the rest."""
        data = self.file.read(self.size + 1)  # a buffered read: short only at the end
        self.total = len(data)
        if len(data) <= self.size:  # the usual case
            return data
        chunks = [data]
        while self.total <= self.cap:
            chunk = self.file.read(min(MIB, self.cap + 1 - self.total))
            if not chunk:
                break
            chunks.append(chunk)
            self.total += len(chunk)
        self._check()
        return b"".join(chunks)

    def read(self, size: int) -> bytes:
        """Up to `size` bytes, fewer only at the end of the file (b"" there)."""
        data = self.file.read(min(size, self.cap + 1 - self.total))
        self.total += len(data)
        self._check()
        return data

    def readinto(self, buffer) -> int:
        """Fill `buffer` (a writable memoryview) as far as the file goes: the bytes read, 0 at
        the end of the file."""
        wanted = min(len(buffer), self.cap + 1 - self.total)
        got = 0
        while got < wanted:
            count = self.file.readinto(buffer[got:wanted])
            if not count:
                break
            got += count
        self.total += got
        self._check()
        return got

    def _check(self) -> None:
        if self.total > self.cap:
            raise BundleError(self.where, f"is over the {_size(self.cap)} limit")


def quoted(text: str, limit: int = 80) -> str:
    """`text` quoted like repr() for a one-line error: redacted, clipped, non-printables escaped."""
    return repr(_clip(redact(text[: limit * 4]), limit))


def excerpt(text: str, limit: int = 80) -> str:
    """Like `quoted`, without the quotes: for text that is already a rendering (JSON)."""
    return quoted(text, limit)[1:-1]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _file_type(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a file")


def _size(count: int) -> str:
    return f"{count // GIB} GiB" if count >= GIB else f"{count // MIB} MiB"

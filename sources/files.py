"""Open input files safely, and quote untrusted text in one-line errors.

Every source reads its files through `read_input`: a file is read only when it lies inside its
root after every link is resolved, is a regular file (not a FIFO that blocks forever, not
/dev/zero that never ends, not a directory) and fits its size cap. Errors quote what they read
only through `quoted`/`excerpt`: redacted, clipped and with invisible characters escaped, so a
refused file never leaks a secret or a terminal escape into the error line.
"""

import os
import stat
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
        return None
    except OSError as e:
        raise BundleError(where, f"cannot read: {e.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise BundleError(where, f"is not a regular file ({_file_type(info.st_mode)}); refused")
        if info.st_size > cap:
            raise BundleError(where, f"is {info.st_size} bytes, over the {_size(cap)} limit")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb") as file:
            fd = -1  # closed with the file
            return _read_capped(file, info.st_size, cap, where)
    except OSError as e:
        raise BundleError(where, f"cannot read: {e.strerror}") from None
    finally:
        if fd >= 0:
            os.close(fd)


def _read_capped(file, size: int, cap: int, where: str) -> bytes:
    """The whole file, reading at most cap + 1 bytes: a file that grew past its cap (or lied
    about its size, as /proc files do) is refused without reading the rest."""
    data = file.read(size + 1)  # a buffered read: short only at the end of the file
    if len(data) <= size:  # the usual case
        return data
    chunks = [data]
    total = len(data)
    while total <= cap:
        chunk = file.read(min(MIB, cap + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > cap:
        raise BundleError(where, f"is over the {_size(cap)} limit")
    return b"".join(chunks)


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

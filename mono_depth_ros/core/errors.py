"""The one error type for inconsistent input to the conversion core."""

from __future__ import annotations

from typing import Any


class InputError(ValueError):
    """Inconsistent or unsupported input: names the offending field and its value.

    Attributes:
        field: name of the message field or argument that is wrong (e.g. ``"step"``, ``"k[0]"``).
        value: the offending value (as given).
    """

    def __init__(self, field: str, value: Any, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"invalid {field}={_short(value)}: {reason}")


def one_line(exc: BaseException, limit: int = 200) -> str:
    """``Type: message`` on one line (runtimes' messages, OpenVINO's and ONNX Runtime's, span several
    lines and a kilobyte), cut to ``limit`` characters with ``...``."""
    return one_line_text(f"{type(exc).__name__}: {exc}", limit)


def one_line_text(text: str, limit: int = 400) -> str:
    """``text`` on one line (runs of whitespace, newlines too, become one space), cut to ``limit``
    characters with ``...``."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short(value: Any, limit: int = 120) -> str:
    """repr of a value, cut to ``limit`` characters so huge arrays don't flood messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."

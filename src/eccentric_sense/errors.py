"""One error hierarchy for the whole package.

Every error a user can cause (a bad file, an unknown option, a device that
went away) is an :class:`EccentricSenseError`.  The command line catches this
base class and prints ``str(error)`` as a single line; anything else is a bug.
"""

from __future__ import annotations

from os import PathLike

__all__ = [
    "EccentricSenseError",
    "RecordingFormatError",
    "AnalysisError",
    "ConfigError",
    "DeviceError",
    "TrainingLogError",
]


class EccentricSenseError(Exception):
    """Base class of every error the package raises on purpose."""


class RecordingFormatError(EccentricSenseError, ValueError):
    """A recording file could not be read.

    The message always names the file and, where it is known, the line and
    the column, so the user can open the file and fix it.

    Parameters
    ----------
    path
        The file that was read (or ``"<memory>"``).
    problem
        What is wrong, in plain words, ideally with what was expected.
    line
        1-based line number in the file, if the problem is on one line.
    column
        The column name (or 1-based index) involved, if any.
    """

    def __init__(
        self,
        path: str | PathLike[str] | None,
        problem: str,
        *,
        line: int | None = None,
        column: str | int | None = None,
    ) -> None:
        self.path = str(path) if path is not None else "<memory>"
        self.problem = problem
        self.line = line
        self.column = column
        where = self.path
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column!r}" if isinstance(column, str) else f", column {column}"
        super().__init__(f"{where}: {problem}")


class AnalysisError(EccentricSenseError):
    """The recording was read but cannot be analysed (e.g. far too short)."""


class ConfigError(EccentricSenseError, ValueError):
    """A setting, rule override or command-line option is invalid."""


class DeviceError(EccentricSenseError):
    """A sensor could not be found, opened, configured or read."""


class TrainingLogError(EccentricSenseError):
    """The training-log database is corrupt, locked or unwritable."""

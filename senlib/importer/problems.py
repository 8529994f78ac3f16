"""Problems found in an upload, and the error that refuses one.

A problem says what is wrong, where (file, sheet, row, column), the value, and how to fix it,
in words a SENCo understands. Errors block an import (unless the SENCo imports valid rows only);
warnings never do.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from senlib.core.errors import SenlibError

if TYPE_CHECKING:
    import pandas as pd

ERROR, WARNING = "error", "warning"
PROBLEM_COLUMNS = ["severity", "file", "sheet", "row", "column", "value", "message", "fix"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an upload. `row` is the spreadsheet's own row number (1 = first row)."""

    severity: str
    message: str
    fix: str = ""
    file: str = ""
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None

    @property
    def place(self) -> str:
        """'tracker.xlsx, sheet Year 6, row 12, column DOB' (only the parts that are known)."""
        parts = [self.file] if self.file else []
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        value = f" (value: '{self.value}')" if self.value not in (None, "") else ""
        where = f"{self.place}: " if self.place else ""
        fix = f" How to fix: {self.fix}" if self.fix else ""
        return f"{self.severity.capitalize()} — {where}{self.message}{value}.{fix}".replace("..", ".")


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    """Problems as a table for the page and the rejected-rows file."""
    import pandas as pd

    if not problems:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    df = pd.DataFrame([asdict(p) for p in problems])[PROBLEM_COLUMNS]
    df["row"] = df["row"].astype("Int64")
    return df


class ImportRefused(SenlibError):
    """The upload was not imported. `problems` lists every error (and warning) found."""

    def __init__(self, message: str, problems: list[Problem] | None = None, *, place: str | None = None,
                 fix: str | None = None):
        self.problems: list[Problem] = list(problems or [])
        if place is None and len(self.problems) == 1:
            place = self.problems[0].place or None
        if fix is None and len(self.problems) == 1:
            fix = self.problems[0].fix or None
        super().__init__(message, place=place, fix=fix)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]


def refuse(message: str, fix: str, *, file: str = "", sheet: str | None = None) -> ImportRefused:
    """A whole-file refusal (bad file, no header...) with its one problem."""
    return ImportRefused(message, [Problem(ERROR, message, fix, file, sheet)])

"""Every error gapcheck raises on purpose.

Library code raises these; only the CLI turns them into messages and exit codes.
Each error knows how to describe itself in one readable line (``str(error)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class GapcheckError(Exception):
    """Base of every error gapcheck raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, what is wrong, what is expected."""

    message: str
    field: str | None = None
    line: int | None = None
    expected: str | None = None

    def describe(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(self.field)
        text = f"{', '.join(where)}: {self.message}" if where else self.message
        if self.expected:
            text += f" (expected {self.expected})"
        return text


class InputError(GapcheckError):
    """An input file the user gave is unreadable or invalid.

    Carries every problem found at once, so the user can fix them all in one go.
    """

    def __init__(self, path: Path | str, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("InputError needs at least one problem")
        self.path = Path(path)
        self.problems = tuple(problems)
        super().__init__(self.describe())

    @classmethod
    def single(
        cls,
        path: Path | str,
        message: str,
        *,
        field: str | None = None,
        line: int | None = None,
        expected: str | None = None,
    ) -> InputError:
        return cls(path, [Problem(message, field=field, line=line, expected=expected)])

    def describe(self) -> str:
        if len(self.problems) == 1:
            return f"{self.path}: {self.problems[0].describe()}"
        lines = [f"{self.path}: {len(self.problems)} problems"]
        lines.extend(f"  - {problem.describe()}" for problem in self.problems)
        return "\n".join(lines)


class NotAnswersError(InputError):
    """An input that is recognisably another kind of file gapcheck reads or writes (a survey
    mapping, a file of an assessment pack, a result, a portfolio), not answers. A batch skips
    such a file when it found it by searching a folder or a glob."""

    def what_it_is(self) -> str:
        """The file and what it is, without what is expected instead: why it was skipped."""
        return f"{self.path}: {self.problems[0].message}"


class PackError(GapcheckError):
    """The assessment pack (questionnaire or rules) is invalid: the pack is at fault."""

    def __init__(self, path: Path | str, message: str, rule: str | None = None) -> None:
        self.path = Path(path)
        self.rule = rule
        self.detail = message
        where = f"{self.path}" + (f", rule {rule}" if rule else "")
        super().__init__(f"{where}: {message}")


class EngineError(GapcheckError):
    """durable-rules failed in a way the engine's workarounds did not absorb."""


class RenderError(GapcheckError):
    """A report could not be rendered or written."""

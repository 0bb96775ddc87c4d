"""Department routing: category, department and disposition suggestions with their reasons.

The intake screen keeps one `Router` per store, calls `refresh()` in a worker (it learns what was
saved or imported since), and `suggest(text, address=..., location_kind=...)` as the agent
pauses typing. `due_preview` gives the deadline a category and urgency imply; `match_departments`
filters departments by Chinese, English, alias or pinyin initials.
"""

from .due import DuePreview, due_preview
from .engine import (
    CategorySuggestion,
    DepartmentSuggestion,
    DispositionSuggestion,
    Router,
    Suggestions,
)
from .learn import LearnReport
from .pinyin import DepartmentMatch, match_departments

__all__ = [
    "CategorySuggestion", "DepartmentMatch", "DepartmentSuggestion", "DispositionSuggestion",
    "DuePreview", "LearnReport", "Router", "Suggestions", "due_preview",
    "match_departments",
]

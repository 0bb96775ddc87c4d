"""Operations on cases over the local store: filing a new case (the one save path), its
timeline, field edits, callers, reading and the shift lead's review."""

from .filing import CheckedCase, check_draft, file_case, file_case_in
from .indexing import after_change, before_change
from .queries import case_record, count_cases, iter_all_cases, recent_cases
from .timeline import add_note, attach_repeat_call, record_event_in, timeline

__all__ = [
    "CheckedCase", "add_note", "after_change", "before_change", "attach_repeat_call", "case_record", "check_draft", "count_cases",
    "file_case", "file_case_in", "iter_all_cases", "recent_cases", "record_event_in", "timeline",
]

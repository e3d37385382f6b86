"""Finding failure modes: by id, by stage, by words, and "did you mean" for near misses."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from atlas.modes import MODES, STAGES
from atlas.taxonomy import FailureMode, Stage

_BY_ID: dict[str, FailureMode] = {mode.id: mode for mode in MODES}
_STAGES: dict[int, Stage] = {stage.number: stage for stage in STAGES}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9}
# "2.2", "2,2", "2-2", "2 2", "2.2.", "II.2", "#2.2", "mode 2.2", "fm 2.2", "22"
_ID_PATTERN = re.compile(
    r"^(?:(?:failure\s*)?mode|fm|#)?\s*"
    r"(?P<stage>\d{1,2}|i{1,3}|iv|v|vi{0,3}|ix)"
    r"(?:\s*[.,:;/_\-\s]\s*(?P<number>\d{1,2})|(?P<tail>\d))"
    r"\s*[.,;:!?)]*$"
)
_STOPWORDS = frozenset(
    "a an and are as at be by do does for from have how i in is it its me my of on or our show "
    "tell that the their them they this to us we what when where which who why with you your "
    "about mode modes failure".split()
)


@dataclass(frozen=True)
class ModeRef:
    """A parsed mode id, which may or may not exist in the atlas."""

    stage: int
    number: int

    @property
    def id(self) -> str:
        """The canonical "stage.number" form."""
        return f"{self.stage}.{self.number}"


def get(mode_id: str) -> FailureMode | None:
    """The mode with exactly this canonical id ("2.2"), or None."""
    return _BY_ID.get(mode_id)


def all_modes() -> tuple[FailureMode, ...]:
    """Every mode, in atlas order."""
    return MODES


def stages() -> tuple[Stage, ...]:
    """The four stages, in order."""
    return STAGES


def stage(number: int) -> Stage | None:
    """The stage with this number, or None."""
    return _STAGES.get(number)


def stage_modes(number: int) -> tuple[FailureMode, ...]:
    """The modes of one stage, in atlas order (empty for an unknown stage)."""
    return tuple(mode for mode in MODES if mode.stage == number)


def normalize(text: str) -> str:
    """Fold case, accents and full-width forms; trim; collapse white space."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    return " ".join(text.split())


def parse_mode_id(text: str) -> ModeRef | None:
    """Read a mode id written any of the usual ways; None when the text is not an id at all."""
    match = _ID_PATTERN.match(normalize(text))
    if match is None:
        return None
    raw_stage = match["stage"]
    stage_number = int(raw_stage) if raw_stage.isdigit() else _ROMAN[raw_stage]
    number = match["number"] or match["tail"]
    if match["tail"] is not None and not raw_stage.isdigit():
        return None  # "ii2" is too ambiguous to guess at
    if match["tail"] is not None and len(raw_stage) != 1:
        return None  # "123" is not a mode id
    return ModeRef(stage=stage_number, number=int(number))


def find(text: str) -> FailureMode | None:
    """The mode an id-like text names, forgiving of format ("2,2", "II.2", "22")."""
    ref = parse_mode_id(text)
    return get(ref.id) if ref else None


def did_you_mean(text: str, limit: int = 3) -> list[FailureMode]:
    """Modes the person probably meant by an id or word that matched nothing."""
    ref = parse_mode_id(text)
    if ref is not None:
        return _near_ids(ref, limit)
    words = _tokens(text)
    vocabulary = _vocabulary()
    suggestions: list[FailureMode] = []
    for word in words:
        for close in difflib.get_close_matches(word, list(vocabulary), n=3, cutoff=0.75):
            for mode in vocabulary[close]:
                if mode not in suggestions:
                    suggestions.append(mode)
    return suggestions[:limit]


def _near_ids(ref: ModeRef, limit: int) -> list[FailureMode]:
    candidates: list[FailureMode] = []
    in_stage = stage_modes(ref.stage)
    if in_stage:
        # Closest numbers in the same stage first: "2.8" → 2.7, 2.6.
        candidates.extend(sorted(in_stage, key=lambda m: (abs(m.number - ref.number), m.number)))
    swapped = get(f"{ref.number}.{ref.stage}")
    if swapped is not None:
        candidates.insert(0, swapped)
    if not in_stage:
        # An unknown stage: same position in the known stages ("9.2" → 1.2, 2.2, …).
        candidates.extend(m for m in MODES if m.number == ref.number and m not in candidates)
    unique: list[FailureMode] = []
    for mode in candidates:
        if mode not in unique:
            unique.append(mode)
    return unique[:limit]


def _tokens(text: str) -> list[str]:
    words = re.findall(r"[a-z0-9]+", normalize(text))
    return [w for w in words if w not in _STOPWORDS and (len(w) > 1 or w.isdigit())]


def _vocabulary() -> dict[str, list[FailureMode]]:
    vocab: dict[str, list[FailureMode]] = {}
    for mode in MODES:
        fields = (mode.title, " ".join(mode.keywords), mode.description, mode.in_slack)
        for word in _tokens(" ".join(fields)):
            bucket = vocab.setdefault(word, [])
            if mode not in bucket:
                bucket.append(mode)
    return vocab


def search(text: str, limit: int = 5) -> list[FailureMode]:
    """Modes ranked by how well they match the words in `text` (best first)."""
    words = _tokens(text)
    if not words:
        return []
    scored: list[tuple[float, int, FailureMode]] = []
    for index, mode in enumerate(MODES):
        score = sum(_word_score(word, mode) for word in words)
        if score > 0:
            scored.append((score, index, mode))
    scored.sort(key=lambda item: (-item[0], item[1]))
    if not scored:
        return []
    # Drop the long tail: a mode that matches far worse than the best is noise, not a result.
    floor = scored[0][0] * 0.5
    return [mode for score, _, mode in scored[:limit] if score >= floor]


def _word_score(word: str, mode: FailureMode) -> float:
    weighted = (
        (4.0, set(mode.keywords)),
        (3.0, set(_tokens(mode.title))),
        (1.0, set(_tokens(mode.description))),
        (0.5, set(_tokens(mode.in_slack + " " + mode.first_move))),
    )
    best = 0.0
    for weight, vocabulary in weighted:
        if word in vocabulary:
            best = max(best, weight)
        elif len(word) >= 3 and any(
            v.startswith(word) or word.startswith(v) for v in vocabulary if len(v) >= 3
        ):
            best = max(best, weight * 0.6)  # "leak" ~ "leakage", "executives" ~ "executive"
    return best

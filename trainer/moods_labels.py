"""Mood labels for real emoji from their names, by the reviewed table trainer/data/moods.csv.

Pure: text in, labels out (only `load_rules` reads the file). Most emoji stay unlabelled.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from installation.model.moods import MOODS  # the player steers toward these: one list for both

OTHER = "other"  # classifier class for emoji that are not faces at all (people, objects, flags...)
CLASSES = MOODS + (OTHER,)
SKIP = "-"       # table mood meaning "ambiguous: leave unlabelled"
SCOPES = ("face", "any")
DEFAULT_TABLE = Path(__file__).parent / "data" / "moods.csv"

# Words that only say who wears the expression; vendor variants and man/woman forms of one emoji
# share the rest of the name, so they must land on the same side of a train/validation split.
_GENDER_WORDS = {"man", "woman", "person", "men", "women", "people"}


@dataclass(frozen=True)
class Rule:
    keyword: str
    mood: str    # one of MOODS, or SKIP
    scope: str   # "face" or "any"
    why: str
    line: int    # line in the table, for messages


@dataclass(frozen=True)
class Label:
    mood: str | None   # one of MOODS, or None when unlabelled
    face: bool         # a Smileys & Emotion face (or unknown subcategory)
    rule: Rule | None  # the rule that decided, if any


def normalise_name(name: str) -> str:
    """'GRINNING FACE: light skin tone' -> 'grinning face'; hyphens/underscores kept as word chars."""
    name = name.split(":")[0].lower().replace("_", " ")
    return " ".join(name.split())


def is_face(category: str, subcategory: str) -> bool:
    """Smileys & Emotion faces; a row without a subcategory (a plain folder of images) counts too."""
    if not subcategory:
        return True
    return category in ("Smileys & Emotion", "") and (
        subcategory.startswith("face-") or subcategory in ("cat-face", "monkey-face"))


def _word_pattern(keyword: str) -> re.Pattern:
    # whole words only: 'imp' must not match 'shrimp', 'horns' must not match 'party horn'
    return re.compile(r"(?<![\w-])" + re.escape(keyword) + r"(?![\w-])")


def parse_rules(text: str, source: str = "moods.csv") -> list[Rule]:
    """Parse the table (comment lines start with '#'); raises ValueError naming the line."""
    lines = text.splitlines()
    numbered = [(i + 1, ln) for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")]
    if not numbered:
        raise ValueError(f"{source}: empty mood table")
    reader = csv.reader(io.StringIO("\n".join(ln for _, ln in numbered)))
    header = next(reader)
    if [h.strip() for h in header] != ["keyword", "mood", "scope", "why"]:
        raise ValueError(f"{source}:{numbered[0][0]}: header must be keyword,mood,scope,why")
    rules = []
    for (line_no, _), row in zip(numbered[1:], reader):
        if len(row) != 4:
            raise ValueError(f"{source}:{line_no}: expected 4 columns, got {len(row)}")
        keyword, mood, scope, why = (c.strip() for c in row)
        if not keyword:
            raise ValueError(f"{source}:{line_no}: empty keyword")
        if mood not in MOODS + (SKIP,):
            raise ValueError(f"{source}:{line_no}: mood {mood!r} is not one of {', '.join(MOODS + (SKIP,))}")
        if scope not in SCOPES:
            raise ValueError(f"{source}:{line_no}: scope {scope!r} is not one of {', '.join(SCOPES)}")
        if not why:
            raise ValueError(f"{source}:{line_no}: say why in the 'why' column")
        rules.append(Rule(keyword.lower(), mood, scope, why, line_no))
    return rules


def load_rules(path: Path = DEFAULT_TABLE) -> list[Rule]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the mood table ({exc.strerror})") from None
    return parse_rules(text, str(path))


def label(name: str, category: str, subcategory: str, rules: list[Rule]) -> Label:
    """The first rule (in table order) whose keyword occurs as whole words in the name decides."""
    face = is_face(category, subcategory)
    text = normalise_name(name)
    for rule in rules:
        if rule.scope == "face" and not face:
            continue
        if _word_pattern(rule.keyword).search(text):
            return Label(None if rule.mood == SKIP else rule.mood, face, rule)
    return Label(None, face, None)


def training_class(lab: Label) -> str | None:
    """The classifier's target: the mood; 'other' for non-faces; None (not used) for unlabelled faces
    and for anything a '-' row skipped as ambiguous."""
    if lab.mood is not None:
        return lab.mood
    return None if lab.face or lab.rule is not None else OTHER


def group_key(name: str) -> str:
    """Split key: vendors' drawings of one emoji, and its man/woman/person forms, share a key."""
    words = [w for w in normalise_name(name).split() if w not in _GENDER_WORDS]
    return " ".join(words) or normalise_name(name)


def label_rows(rows: list[dict], rules: list[Rule]) -> list[Label]:
    """Label manifest rows (dicts with name, category, subcategory; missing columns read as '')."""
    return [label(r.get("name") or "", r.get("category") or "", r.get("subcategory") or "", rules)
            for r in rows]

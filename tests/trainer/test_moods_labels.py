"""The reviewed mood table labels real emoji names as a person would, and most emoji stay unlabelled."""

import pytest

from trainer.moods_labels import (
    OTHER, group_key, label, label_rows, load_rules, parse_rules, training_class)

RULES = load_rules()
FACE = ("Smileys & Emotion", "face-smiling")


@pytest.mark.parametrize("name, mood", [
    # Unicode character names (emoji.json) ...
    ("GRINNING FACE", "happy"),
    ("SMILING FACE WITH OPEN MOUTH AND SMILING EYES", "happy"),
    ("SMILING FACE WITH OPEN MOUTH AND COLD SWEAT", "happy"),
    ("FACE WITH TEARS OF JOY", "happy"),
    ("ROLLING ON THE FLOOR LAUGHING", "happy"),
    ("SMILING CAT FACE WITH HEART-SHAPED EYES", "happy"),
    ("LOUDLY CRYING FACE", "sad"),
    ("DISAPPOINTED BUT RELIEVED FACE", "sad"),
    ("PENSIVE FACE", "sad"),
    ("FACE WITH COLD SWEAT", "sad"),
    ("WEARY FACE", "sad"),
    ("FACE SCREAMING IN FEAR", "horror"),
    ("FACE WITH OPEN MOUTH AND COLD SWEAT", "horror"),
    ("WEARY CAT FACE", "horror"),
    ("SMILING FACE WITH HORNS", "horror"),
    ("IMP", "horror"),
    ("SKULL AND CROSSBONES", "horror"),
    ("NEUTRAL FACE", "neutral"),
    ("EXPRESSIONLESS FACE", "neutral"),
    ("FACE WITHOUT MOUTH", "neutral"),
    ("ZIPPER-MOUTH FACE", "neutral"),
    # ... and CLDR names
    ("grinning squinting face", "happy"),
    ("anxious face with sweat", "horror"),
    ("face with crossed-out eyes", "horror"),
    ("sad but relieved face", "sad"),
    ("face with raised eyebrow", "neutral"),
    # ambiguous faces stay unlabelled
    ("SMILING FACE WITH TEAR", None),
    ("KISSING FACE WITH SMILING EYES", None),
    ("FACE WITH STUCK-OUT TONGUE AND WINKING EYE", None),
    ("GRINNING FACE WITH ONE LARGE AND ONE SMALL EYE", None),
    ("FACE WITH PARTY HORN AND PARTY HAT", None),
    ("THINKING FACE", None),
    ("POUTING FACE", None),
    ("CAT FACE WITH WRY SMILE", None),
])
def test_face_names_get_the_mood_a_person_would_give(name, mood):
    assert label(name, *FACE, RULES).mood == mood


@pytest.mark.parametrize("name, category, subcategory, mood, cls", [
    ("man zombie", "People & Body", "person-fantasy", "horror", "horror"),
    ("JAPANESE OGRE", "Smileys & Emotion", "face-costume", "horror", "horror"),
    ("GHOST", "Smileys & Emotion", "face-costume", "horror", "horror"),
    ("vampire: medium skin tone", "People & Body", "person-fantasy", None, None),  # skipped, see table
    # 'face' rows do not reach people or objects: a frowning person is simply not a smiley
    ("PERSON FROWNING", "People & Body", "person-gesture", None, OTHER),
    ("SHRIMP", "Food & Drink", "food-marine", None, OTHER),  # 'imp' is a whole word only
    ("GRINNING FACE", "Smileys & Emotion", "face-smiling", "happy", "happy"),
    ("MONKEY FACE", "Animals & Nature", "animal-mammal", None, OTHER),
    ("SEE-NO-EVIL MONKEY", "Smileys & Emotion", "monkey-face", None, None),  # a face, no mood: unused
    ("THINKING FACE", "Smileys & Emotion", "face-hand", None, None),
    ("grinning face", "", "", "happy", "happy"),  # a plain folder without categories
])
def test_scope_and_training_class(name, category, subcategory, mood, cls):
    lab = label(name, category, subcategory, RULES)
    assert lab.mood == mood
    assert training_class(lab) == cls


def test_the_first_matching_row_wins_and_is_reported():
    rules = parse_rules("keyword,mood,scope,why\nweary cat,horror,face,screams\nweary,sad,face,tired\n")
    assert label("weary cat face", *FACE, rules).rule.keyword == "weary cat"
    assert label("weary face", *FACE, rules).mood == "sad"


@pytest.mark.parametrize("text, problem", [
    ("", "empty mood table"),
    ("word,mood,scope,why\n", "header"),
    ("keyword,mood,scope,why\nsmile,joyful,face,x\n", "mood 'joyful'"),
    ("keyword,mood,scope,why\nsmile,happy,everywhere,x\n", "scope 'everywhere'"),
    ("keyword,mood,scope,why\nsmile,happy,face,\n", "say why"),
    ("keyword,mood,scope,why\nsmile,happy,face\n", "4 columns"),
])
def test_bad_tables_are_refused_with_the_line(text, problem):
    with pytest.raises(ValueError, match=problem):
        parse_rules(text, "t.csv")


def test_shipped_table_is_valid_and_each_keyword_appears_once():
    keywords = [r.keyword for r in RULES]
    assert len(keywords) == len(set(keywords))
    assert {r.mood for r in RULES} >= {"neutral", "horror", "happy", "sad", "-"}


@pytest.mark.parametrize("a, b", [
    ("man zombie", "woman zombie"),
    ("ZOMBIE", "person zombie"),
    ("grinning face", "GRINNING FACE: light skin tone"),
])
def test_variants_of_one_emoji_share_a_split_group(a, b):
    assert group_key(a) == group_key(b)


def test_most_emoji_stay_unlabelled():
    rows = [{"name": n, "category": "Travel & Places", "subcategory": "transport-ground"}
            for n in ("bus", "tram", "car", "bicycle")] + [{"name": "GRINNING FACE", "category": FACE[0],
                                                            "subcategory": FACE[1]}]
    moods = [lab.mood for lab in label_rows(rows, RULES)]
    assert moods == [None, None, None, None, "happy"]

"""The pinned emoji sources: npm package, version, image layout and the licence of the images."""

from __future__ import annotations

from dataclasses import dataclass

from trainer.dataset import DatasetError


@dataclass(frozen=True)
class Source:
    key: str            # what --sources takes, and the prefix of every image file name
    package: str        # npm package name
    version: str        # pinned version: `npm pack package@version`
    layout: str         # "datasource" (img/SET/64/<codepoints>.png), "fluentui" or "openmoji" (SVG)
    style: str          # datasource image set, fluentui style folder, or openmoji colour folder
    licence: str        # licence of the IMAGES (SPDX id where there is one)
    open: bool          # True: allowed for training and exhibiting; False: needs --allow-proprietary
    share_alike: bool   # True: the licence may carry over to derived works (CC-BY-SA)
    default: bool       # part of the default build
    note: str = ""

    @property
    def spec(self) -> str:
        return f"{self.package}@{self.version}"


# Order matters: de-duplication keeps the first copy it sees, so the current, cleanest designs come
# first and older versions only add what is new (e.g. Google's 2017 "blob" faces).
SOURCES: tuple[Source, ...] = (
    Source("google-16", "emoji-datasource-google", "16.0.0", "datasource", "google",
           "Apache-2.0", True, False, True, "Noto Emoji (Google)"),
    Source("twitter-16", "emoji-datasource-twitter", "16.0.0", "datasource", "twitter",
           "CC-BY-4.0", True, False, True, "Twemoji graphics: attribute Twitter/X and the Twemoji authors"),
    Source("fluentui-modern", "fluentui-emoji", "1.3.0", "fluentui", "modern",
           "MIT", True, False, True, "Microsoft Fluent UI emoji, 3D-look gradients"),
    Source("fluentui-flat", "fluentui-emoji", "1.3.0", "fluentui", "flat",
           "MIT", True, False, True, "Microsoft Fluent UI emoji, flat style"),
    Source("openmoji-17", "openmoji", "17.0.0", "openmoji", "color",
           "CC-BY-SA-4.0", True, True, True, "OpenMoji: share-alike, attribute the OpenMoji project"),
    Source("google-4", "emoji-datasource-google", "4.0.4", "datasource", "google",
           "Apache-2.0", True, False, True, "Noto Emoji 2017: the 'blob' faces"),
    Source("google-3", "emoji-datasource-google", "3.0.0", "datasource", "google",
           "Apache-2.0", True, False, True, "Noto Emoji 2016: earlier 'blob' faces"),
    Source("fluentui-high-contrast", "fluentui-emoji", "1.3.0", "fluentui", "high-contrast",
           "MIT", True, False, False, "black and white line art; not in the default build"),
    Source("apple-16", "emoji-datasource-apple", "16.0.0", "datasource", "apple",
           "proprietary (Apple)", False, False, False, "opt-in only: --allow-proprietary"),
    Source("facebook-16", "emoji-datasource-facebook", "16.0.0", "datasource", "facebook",
           "no clear licence (Facebook)", False, False, False, "opt-in only: --allow-proprietary"),
)

# Packages read for their data, not their images: names and categories by codepoint (all
# sources are mapped through this one file), and CLDR short names (fluentui files are named by them).
CATALOG_PACKAGE = ("emoji-datasource", "16.0.0")
NAMES_PACKAGE = ("openmoji", "17.0.0")

BY_KEY = {s.key: s for s in SOURCES}


def default_keys() -> list[str]:
    return [s.key for s in SOURCES if s.default]


def resolve(keys: list[str] | None, allow_proprietary: bool) -> list[Source]:
    """The sources to build, in table order; unknown keys and unconsented proprietary sets are errors."""
    wanted = default_keys() if not keys else keys
    unknown = [k for k in wanted if k not in BY_KEY]
    if unknown:
        raise DatasetError(f"unknown source {unknown[0]!r}; known sources: {', '.join(BY_KEY)}")
    closed = [k for k in wanted if not BY_KEY[k].open]
    if closed and not allow_proprietary:
        raise DatasetError(f"source {closed[0]!r} is {BY_KEY[closed[0]].licence}: "
                           "pass --allow-proprietary to use it (not for public exhibition)")
    return [s for s in SOURCES if s.key in wanted]


def format_table() -> str:
    """The source table as text for `aimoji-train dataset sources`."""
    rows = [("source", "npm package", "licence", "default", "note")]
    for s in SOURCES:
        licence = s.licence + (" (share-alike)" if s.share_alike else "")
        default = "yes" if s.default else ("opt-in" if not s.open else "no")
        rows.append((s.key, s.spec, licence, default, s.note))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r[:4], widths)) + "  " + r[4] for r in rows]
    return "\n".join(line.rstrip() for line in lines)

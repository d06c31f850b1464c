"""The emoji dataset builder: pinned npm sources -> rendered, de-duplicated PNGs with a manifest."""


class DatasetError(ValueError):
    """A problem the user can fix (missing npm, unknown source, unreadable folder, a folder that cannot
    be trained on): one clear line naming the file."""

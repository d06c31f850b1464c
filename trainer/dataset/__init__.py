"""The emoji dataset builder: pinned npm sources -> rendered, de-duplicated PNGs with a manifest."""


class DatasetError(Exception):
    """A problem the user can fix (missing npm, unknown source, unreadable folder): one clear line."""

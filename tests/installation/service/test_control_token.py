"""The control token file (service/remote/control_token.py): who may own it, who may write or read it, what
it must hold, where it is found, and the header check."""

import os

import pytest

from installation.service.remote.control_token import (NO_TOKEN, TokenError, authorised, bearer, find_token,
                                                read_token)

TOKEN = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def token_file(tmp_path):
    def make(text=TOKEN + "\n", mode=0o600):
        path = tmp_path / "control-token"
        path.write_text(text)
        path.chmod(mode)
        return path
    return make


def test_a_private_file_gives_its_token(token_file):
    assert read_token(token_file()) == TOKEN.encode()
    assert read_token(token_file(mode=0o400)) == TOKEN.encode()


@pytest.mark.parametrize("mode, allowed", [
    (0o600, True), (0o400, True),
    (0o640, False), (0o440, False), (0o660, False), (0o620, False),   # the group may read or write it
    (0o644, False), (0o604, False), (0o602, False), (0o666, False), (0o444, False),   # anyone may
    (0o700, False), (0o500, False), (0o4600, False),   # not what the message allows, so not allowed
])
def test_only_the_modes_the_message_names_are_allowed(token_file, mode, allowed):
    path = token_file(mode=mode)
    if allowed:
        assert read_token(path) == TOKEN.encode()
    else:
        with pytest.raises(TokenError, match=f"^{path}: mode {mode:04o}; allowed: 0600 or 0400, its owner's alone "
                                             f"\\(chmod 0600 {path}; "):
            read_token(path)


def test_a_file_owned_by_someone_else_is_refused(token_file):
    path = token_file()
    someone = os.getuid() + 4242 if os.getuid() else 4242
    if os.getuid() == 0:
        os.chown(path, 4242, 4242)   # root may own it; uid 4242 (not us, not root) may not
        with pytest.raises(TokenError, match="owned by uid 4242; allowed: owned by root or by the user"):
            read_token(path, uid=4343)
    else:
        with pytest.raises(TokenError, match=f"owned by uid {os.getuid()}"):
            read_token(path, uid=someone)


@pytest.mark.parametrize("text", ["", "short\n", "has a space in it somewhere\n", "é" * 20])
def test_a_file_without_a_usable_token_is_refused(token_file, text):
    with pytest.raises(TokenError, match="not a usable token; allowed: one word of at least 16"):
        read_token(token_file(text))


def test_a_missing_file_says_so(tmp_path):
    with pytest.raises(TokenError, match=f"{tmp_path / 'nope'}: cannot read the control token"):
        read_token(tmp_path / "nope")


def test_the_token_is_found_as_a_systemd_credential(token_file, tmp_path):
    path = token_file()
    assert find_token(None, {"CREDENTIALS_DIRECTORY": str(tmp_path)}) == (TOKEN.encode(),
                                                                          "systemd credential control-token")
    assert find_token(path, {}) == (TOKEN.encode(), str(path))
    assert find_token(None, {}) == (None, NO_TOKEN)
    assert find_token(None, {"CREDENTIALS_DIRECTORY": str(tmp_path / "empty")}) == (None, NO_TOKEN)


@pytest.mark.parametrize("header, ok", [
    (f"Bearer {TOKEN}", True), (f"bearer  {TOKEN} ", True), (f"Bearer {TOKEN}x", False),
    (f"Basic {TOKEN}", False), ("Bearer", False), ("", False), (None, False),
])
def test_only_the_right_bearer_token_is_authorised(header, ok):
    assert authorised(header, TOKEN.encode()) is ok


def test_bearer_reads_the_header():
    assert bearer("Bearer abc") == b"abc" and bearer("Token abc") is None

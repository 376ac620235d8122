"""Issue 12, items 1-3: two ordinary users (an owner, uid 1001, and an attacker, uid 1002)
on one machine. The tests run as root and drop to those users in a forked child, as
tests/test_faults.py does; without root they are skipped."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from fundwatch.domain.errors import FundwatchError
from fundwatch.domain.model import Call, Deadline
from fundwatch.storage import cache, files, store

OWNER, ATTACKER, TEAM = 1001, 1002, 2000
ROOT_ONLY = pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root to act as two users (setuid in a child)"
)
TEXT = 'version = 1\n\n[[calls]]\nid = "a"\ntitle = "A"\ndeadline = 2026-01-20\n'


def as_user(uid: int, fn: Callable[[], object], gid: int | None = None,
            groups: tuple[int, ...] = ()) -> tuple[int, str]:  # fmt: skip
    """``fn()`` in a forked child as ``uid``: (0, "") or (1, the FundwatchError's line)
    or (2, any other exception)."""
    import encodings.ascii  # noqa: F401  (what the child needs, imported while we may read it)
    import secrets  # noqa: F401
    import tomllib  # noqa: F401

    import filelock  # noqa: F401
    import tomli_w  # noqa: F401

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        code, said = 0, ""
        try:
            os.setgroups(list(groups))
            os.setgid(gid if gid is not None else uid)
            os.setuid(uid)
            fn()
        except FundwatchError as exc:
            code, said = 1, exc.message
        except BaseException as exc:
            code, said = 2, repr(exc)
        os.write(write, said.encode())
        os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        said = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), said


@pytest.fixture
def place() -> Iterator[Path]:
    """A folder outside pytest's own (which is root's only): home of the owner and a
    world-writable sticky shared folder."""
    top = Path(tempfile.mkdtemp(prefix="fundwatch-shared-"))
    top.chmod(0o755)
    home = top / "home"
    home.mkdir()
    os.chown(home, OWNER, OWNER)
    shared = top / "common"
    shared.mkdir()
    shared.chmod(0o1777)
    try:
        yield top
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _add(path: Path, call_id: str = "b") -> Callable[[], None]:
    def go() -> None:
        with store.transaction(path) as watchlist:
            watchlist.calls.append(Call(call_id, call_id.upper(), (Deadline(date(2026, 2, 1)),)))

    return go


def _own(path: Path, uid: int, gid: int, mode: int) -> None:
    os.chown(path, uid, gid, follow_symlinks=False)
    if not path.is_symlink():
        path.chmod(mode)


def _owner_files(place: Path) -> tuple[Path, Path, Path]:
    """The owner's ~/.bashrc (an attacker's target) and watchlist in the shared folder."""
    bashrc = place / "home" / ".bashrc"
    bashrc.write_text("export PS1='owner'\n")
    _own(bashrc, OWNER, OWNER, 0o644)
    watch = place / "common" / "calls.toml"
    watch.write_text(TEXT)
    _own(watch, OWNER, OWNER, 0o644)
    return watch.parent, bashrc, watch


# --- 1. symlink clobber ------------------------------------------------------------------


@ROOT_ONLY
def test_a_planted_backup_link_is_replaced_by_name_never_followed(place):
    shared, bashrc, watch = _owner_files(place)
    bak = shared / "calls.toml.bak"
    assert as_user(ATTACKER, lambda: os.symlink(bashrc, bak)) == (0, "")
    code, said = as_user(OWNER, _add(watch, "b"))
    code2, said2 = as_user(OWNER, _add(watch, "c"))
    assert bashrc.read_text() == "export PS1='owner'\n"
    # the sticky folder keeps the attacker's link: renaming onto it is refused, one line
    assert code == 1 and said == f"cannot write {bak}: Operation not permitted", said
    assert (code2, said2) == (code, said)
    assert watch.read_text() == TEXT
    # without the sticky bit, the link is replaced by a plain backup
    shared.chmod(0o777)
    assert as_user(OWNER, _add(watch, "b")) == (0, "")
    assert not bak.is_symlink() and bak.read_text() == TEXT
    assert bashrc.read_text() == "export PS1='owner'\n"


@ROOT_ONLY
def test_a_planted_lock_link_is_refused_in_one_line_its_target_untouched(place):
    shared, bashrc, watch = _owner_files(place)
    lock = shared / "calls.toml.lock"
    assert as_user(ATTACKER, lambda: os.symlink(bashrc, lock)) == (0, "")
    code, said = as_user(OWNER, _add(watch, "b"))
    # before: "cannot lock …: Too many levels of symbolic links" (filelock >= 3.20.1), or
    # with an older filelock the owner's .bashrc truncated (opened O_TRUNC through the link)
    assert (code, said) == (
        1,
        f"{lock} is a symbolic link (owned by {_owner_name(ATTACKER)}): not using it as a lock",
    )
    assert bashrc.read_text() == "export PS1='owner'\n"
    assert watch.read_text() == TEXT


def _owner_name(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


@ROOT_ONLY
def test_a_planted_output_link_is_never_followed(place):
    home, shared = place / "home", place / "common"
    profile = home / ".profile"
    profile.write_text("PATH=/usr/bin\n")
    _own(profile, OWNER, OWNER, 0o644)
    out = shared / "deadlines.ics"
    assert as_user(ATTACKER, lambda: os.symlink(profile, out)) == (0, "")
    code, said = as_user(OWNER, lambda: files.write_output(out, b"BEGIN:VCALENDAR\r\n"))
    assert profile.read_text() == "PATH=/usr/bin\n"
    assert (code, said) == (1, f"cannot write {out}: Operation not permitted")
    # the owner's own link in a folder they own is replaced by name as well
    mine = home / "mine.ics"
    assert as_user(OWNER, lambda: os.symlink(profile, mine)) == (0, "")
    assert as_user(OWNER, lambda: files.write_output(mine, b"X")) == (0, "")
    assert profile.read_text() == "PATH=/usr/bin\n" and mine.read_bytes() == b"X"
    # /dev/stdout (root's link to a pipe or terminal) is still written into
    assert files.trusted_link(Path("/dev/stdout"), 0)


@ROOT_ONLY
def test_a_watchlist_link_is_followed_only_when_the_user_owns_it(place):
    home, shared = place / "home", place / "common"
    real = home / "calls.toml"
    real.write_text(TEXT)
    _own(real, OWNER, OWNER, 0o644)
    theirs = shared / "theirs.toml"
    assert as_user(ATTACKER, lambda: os.symlink(real, theirs)) == (0, "")
    code, said = as_user(OWNER, lambda: store.load(theirs, use_cache=False))
    assert code == 1 and said.startswith(f"{theirs} is a symbolic link owned by"), said
    assert said.endswith(": not following it")
    assert as_user(OWNER, _add(theirs)) == (1, said)
    assert real.read_text() == TEXT
    mine = shared / "mine.toml"
    assert as_user(OWNER, lambda: os.symlink(real, mine)) == (0, "")
    assert as_user(OWNER, _add(mine)) == (0, "")
    assert mine.is_symlink() and 'id = "b"' in real.read_text()
    # root's link is followed outside a sticky shared folder, not inside one
    rooted = place / "rooted.toml"
    os.symlink(real, rooted)
    assert as_user(OWNER, lambda: store.load(rooted, use_cache=False))[0] == 0
    in_shared = shared / "rooted.toml"
    os.symlink(real, in_shared)
    assert as_user(OWNER, lambda: store.load(in_shared, use_cache=False))[0] == 1


# --- 3. a rewrite keeps owner, group and mode ----------------------------------------------


@ROOT_ONLY
def test_root_rewriting_keeps_the_owner_group_and_mode_of_file_and_backup(place):
    home = place / "home"
    watch = home / "calls.toml"
    watch.write_text(TEXT)
    _own(watch, OWNER, OWNER, 0o600)
    _add(watch, "b")()  # as root, like `sudo fundwatch edit`
    _add(watch, "c")()
    for p in (watch, files.backup_path(watch)):
        st = p.stat()
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (OWNER, OWNER, 0o600), p
    assert as_user(OWNER, lambda: store.load(watch, use_cache=False)) == (0, "")


@ROOT_ONLY
def test_a_lock_root_made_is_the_owners_so_the_owner_can_still_write(place):
    watch = place / "home" / "calls.toml"
    watch.write_text(TEXT)
    _own(watch, OWNER, OWNER, 0o600)
    _add(watch, "b")()  # as root, like `sudo fundwatch add`: it makes the lock
    lock = Path(str(watch) + ".lock")
    st = lock.stat()
    assert (st.st_uid, st.st_gid) == (OWNER, OWNER)
    # before: the lock was root's, 0600, and the owner got "cannot lock …: Permission denied"
    assert as_user(OWNER, _add(watch, "c")) == (0, "")


@ROOT_ONLY
def test_a_team_member_keeps_the_group_or_is_refused(place):
    team = place / "team"
    team.mkdir()
    os.chown(team, OWNER, TEAM)
    team.chmod(0o770)  # no setgid: new files would get the writer's own group
    watch = team / "calls.toml"
    watch.write_text(TEXT)
    _own(watch, OWNER, TEAM, 0o660)
    assert as_user(ATTACKER, _add(watch), groups=(TEAM,)) == (0, "")
    st = watch.stat()
    assert (st.st_gid, stat.S_IMODE(st.st_mode)) == (TEAM, 0o660)
    assert as_user(OWNER, _add(watch, "c"), groups=(TEAM,)) == (0, "")
    # owner may write, the group only read: a member's rewrite would lock the owner out
    _own(watch, OWNER, TEAM, 0o640)
    before = watch.read_bytes()
    code, said = as_user(ATTACKER, _add(watch, "d"), groups=(TEAM,))
    # refused at the door (issue 11: a watchlist the user may not write is read-only)
    assert code == 1 and said.startswith(f"{watch} is read-only for you"), said
    assert watch.read_bytes() == before and watch.stat().st_uid == OWNER


# --- 2. the cache: no pickle, the user's own folder and files ------------------------------

SECRET = TEXT + 'notes = "confidential partner budget"\n'


def _cached(folder: Path) -> list[Path]:
    return sorted(folder.glob("watchlist-*.marshal"))


def test_the_cache_module_has_no_pickle():
    text = Path(cache.__file__).read_text(encoding="utf-8")
    assert "pickle" not in text.replace("unlike pickle", "").replace("pickled", "")


def test_a_planted_pickle_in_a_cache_entry_runs_nothing(tmp_path, monkeypatch):
    import marshal
    import pickle

    ran = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (open, (str(ran), "w"))

    watch = tmp_path / "calls.toml"
    watch.write_text(SECRET)
    folder = tmp_path / "cache"
    monkeypatch.setenv("FUNDWATCH_CACHE_DIR", str(folder))
    store.load(watch)
    [entry] = _cached(folder)
    key, version, _, times, owners, blobs = marshal.loads(entry.read_bytes())
    evil = pickle.dumps(Evil())
    entry.write_bytes(marshal.dumps((key, version, evil, times, owners, [evil] * len(blobs))))
    loaded = store.load(watch)
    assert loaded.calls[0].notes == "confidential partner budget"
    assert not ran.exists()


def test_cache_folder_0700_and_entries_0600(tmp_path, monkeypatch):
    watch = tmp_path / "calls.toml"
    watch.write_text(SECRET)
    watch.chmod(0o600)
    folder = tmp_path / "cache"
    monkeypatch.setenv("FUNDWATCH_CACHE_DIR", str(folder))
    store.load(watch)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    [entry] = _cached(folder)
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    # a folder left 0755 by an older version is closed on the next load
    folder.chmod(0o755)
    entry.chmod(0o644)
    assert not isinstance(store.load(watch), cache.Snapshot)  # a 0644 entry is not trusted
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(_cached(folder)[0].stat().st_mode) == 0o600
    assert isinstance(store.load(watch), cache.Snapshot)


@ROOT_ONLY
def test_the_cache_is_not_readable_by_another_user(place, monkeypatch):
    home = place / "home"
    watch = home / "calls.toml"
    watch.write_text(SECRET)
    _own(watch, OWNER, OWNER, 0o600)
    folder = home / ".cache"
    os.environ["FUNDWATCH_CACHE_DIR"] = str(folder)
    try:
        assert as_user(OWNER, lambda: store.load(watch)) == (0, "")
        [entry] = _cached(folder)

        def peek() -> None:
            entry.read_bytes()

        code, said = as_user(ATTACKER, peek)
        assert code == 2 and "PermissionError" in said
    finally:
        del os.environ["FUNDWATCH_CACHE_DIR"]


@ROOT_ONLY
def test_entries_another_user_planted_are_ignored_and_rebuilt(place):
    import marshal

    home, shared = place / "home", place / "common"
    watch = home / "calls.toml"
    watch.write_text(SECRET)
    _own(watch, OWNER, OWNER, 0o644)
    folder = home / ".cache"
    os.environ["FUNDWATCH_CACHE_DIR"] = str(folder)
    try:
        assert as_user(OWNER, lambda: store.load(watch)) == (0, "")
        [entry] = _cached(folder)
        # an entry with the right key but someone else's calls, owned by someone else
        key, version, extra, times, owners, _ = marshal.loads(entry.read_bytes())
        forged = cache._row(Call("a", "FORGED", (Deadline(date(2026, 1, 20)),)))
        entry.write_bytes(marshal.dumps((key, version, extra, times, owners,
                                         [marshal.dumps(forged)])))  # fmt: skip
        os.chown(entry, ATTACKER, ATTACKER)

        def check() -> None:
            loaded = store.load(watch)
            assert not isinstance(loaded, cache.Snapshot)
            assert loaded.calls[0].title == "A"

        assert as_user(OWNER, check) == (0, "")
        assert _cached(folder)[0].stat().st_uid == OWNER  # rebuilt as the owner's
        # a cache folder on a shared drive that another user made is not used at all
        planted = shared / "cache"
        as_user(ATTACKER, lambda: planted.mkdir(mode=0o777))
        planted.chmod(0o777)
        os.environ["FUNDWATCH_CACHE_DIR"] = str(planted)
        assert as_user(OWNER, lambda: store.load(watch)) == (0, "")
        assert _cached(planted) == []
    finally:
        del os.environ["FUNDWATCH_CACHE_DIR"]

"""The fast path (fast.py) must be invisible: for `list` and `upcoming` it prints the same
bytes, on stdout and stderr, with the same exit code, as the typer application
(FUNDWATCH_NO_FASTPATH=1), for every command line, good or bad. Each case runs in-process
(the console script's ``run``); a few run in real processes too, where the fast path
must also leave typer and rich unimported.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import in_process

from fundwatch.cli import fast

EXTRA_CALLS = """
[[calls]]
id = "all-day"
title = "=All | day *call*"
programme = "Interreg | Europe"
tags = ["SME", "letters"]
state = "preparing"
opens = 2025-09-01
deadlines = [
  { at = 2025-10-20, label = "Partner letters" },
  "2025-11-12",
]

[[calls]]
id = "new-york"
title = "Transatlantic \\u001b[1mbold\\u001b[0m call"
timezone = "America/New_York"
opens = 2025-10-01T09:00:00
deadline = 2025-10-31T23:30:00
colour = "red"
"""

TOKYO = 'display_timezone = "Asia/Tokyo"\n'


@pytest.fixture
def paths(sample: Path, tmp_path: Path) -> dict[str, str]:
    """The sample (two calls submitted/dropped, two more calls) and some other files."""
    text = sample.read_text(encoding="utf-8")
    (tmp_path / "other.toml").write_text(text, encoding="utf-8")
    done = (("ssri-04-open-proposals", "submitted"), ("eic-ukrainian-tech", "dropped"))
    for call_id, state in done:
        head, sep, rest = text.partition(f'id = "{call_id}"\n')
        text = head + sep + rest.replace('state = "watching"', f'state = "{state}"', 1)
    sample.write_text(text + EXTRA_CALLS, encoding="utf-8")
    (tmp_path / "bad.toml").write_text(
        'version = 1\n\n[[calls]]\nid = "x"\ntitle = "X"\ndeadline = 2025-13-45\n', encoding="utf-8"
    )
    (tmp_path / "tokyo.toml").write_text(TOKYO, encoding="utf-8")
    (tmp_path / "badconfig.toml").write_text('deadline_time = "25:00"\n', encoding="utf-8")
    (tmp_path / "folder").mkdir()
    return {
        "@file": str(sample),
        "@other": str(tmp_path / "other.toml"),
        "@bad": str(tmp_path / "bad.toml"),
        "@missing": str(tmp_path / "missing.toml"),
        "@dir": str(tmp_path / "folder"),
        "@tokyo": str(tmp_path / "tokyo.toml"),
        "@badconfig": str(tmp_path / "badconfig.toml"),
    }


def fill(text: str, paths: dict[str, str]) -> str:
    for key in sorted(paths, key=len, reverse=True):
        text = text.replace(key, paths[key])
    return text


# kind: "fast" = the fast path prints the result; "retry" = it reads the command line
# but hands the failing run to typer; "typer" = it leaves the command line to typer.
A = ["--as-of", "2025-10-08"]
CASES: list[tuple[str, list[str], dict[str, str], str]] = [
    # formats
    ("list-table", ["list", *A], {}, "fast"),
    ("list-json", ["list", *A, "--format", "json"], {}, "fast"),
    ("list-csv", ["list", *A, "--format", "csv"], {}, "fast"),
    ("list-markdown", ["list", *A, "--format", "markdown"], {}, "fast"),
    ("list-later-table", ["list", "--as-of", "2026-02-01", "--format", "table"], {}, "fast"),
    ("upcoming-table", ["upcoming", *A, "--within", "120d"], {}, "fast"),
    ("upcoming-json", ["upcoming", *A, "--within", "120d", "--format", "json"], {}, "fast"),
    ("upcoming-csv", ["upcoming", *A, "--within", "1y", "--format", "csv"], {}, "fast"),
    ("upcoming-markdown", ["upcoming", *A, "--within", "120d", "--format", "markdown"], {}, "fast"),
    # filters: repeated = OR, different = AND
    ("status-or", ["list", *A, "--status", "open", "--status", "forthcoming", "--format", "json"],
     {}, "fast"),
    ("status-closed-csv", ["list", "--as-of", "2026-02-01", "--status", "closed",
                           "--format", "csv"], {}, "fast"),
    ("tag-programme", ["list", *A, "--tag", "eic", "--tag", "SECURITY", "--programme", "EIC",
                       "--format", "json"], {}, "fast"),
    ("search-markdown", ["list", *A, "--search", "stage", "--search", "UKRAIN", "--format",
                         "markdown"], {}, "fast"),
    ("no-match-table", ["list", *A, "--state", "dropped", "--tag", "nothing"], {}, "fast"),
    ("no-match-csv", ["list", *A, "--state", "dropped", "--tag", "nothing", "--format", "csv"],
     {}, "fast"),
    ("state-done", ["upcoming", *A, "--within", "1y", "--state", "submitted", "--state",
                    "dropped", "--format", "json"], {}, "fast"),
    ("all-csv", ["upcoming", *A, "--within", "1y", "--all", "--format", "csv"], {}, "fast"),
    ("done-hidden", ["upcoming", *A, "--within", "1y"], {}, "fast"),
    ("nothing-due", ["upcoming", *A, "--within", "1w"], {}, "fast"),
    ("nothing-due-json", ["upcoming", *A, "--within", "1w", "--format", "json"], {}, "fast"),
    ("default-window", ["upcoming", *A], {}, "fast"),
    ("every-filter", ["upcoming", "--within", "3m", *A, "--status", "open", "--tag", "sme",
                      "--tag", "Letters", "--programme", "europe", "--search", "a",
                      "--state", "preparing", "--state", "watching", "--format", "json"],
     {}, "fast"),
    ("all-twice", ["upcoming", "--all", *A, "--all", "--within", "2m"], {}, "fast"),
    ("empty-filter-values", ["list", *A, "--tag", "", "--search", ""], {}, "fast"),
    # global options before and after the command
    ("as-of-before", ["--as-of", "2025-10-08", "list", "--format", "json"], {}, "fast"),
    ("as-of-before-upcoming", ["--as-of", "2025-10-08", "upcoming", "--within", "120d"], {},
     "fast"),
    ("as-of-both", ["--as-of", "2020-01-01", "upcoming", *A, "--within", "120d", "--format",
                    "csv"], {}, "fast"),
    ("file-before", ["--file", "@other", "list", *A], {}, "fast"),
    ("file-after", ["list", "--file", "@other", *A, "--format", "json"], {}, "fast"),
    ("file-short", ["-f", "@other", "upcoming", *A, "--within", "1y", "--format", "csv"], {},
     "fast"),
    ("file-both", ["--file", "@other", "upcoming", "--file", "@file", *A, "--within", "1y"], {},
     "fast"),
    # --opt=value
    ("equals-list", ["list", "--format=json", "--as-of=2025-10-08", "--status=open"], {}, "fast"),
    ("equals-upcoming", ["upcoming", "--within=120d", "--as-of=2025-10-08", "--tag=eic",
                         "--format=markdown", "--all"], {}, "fast"),
    ("equals-global", ["--as-of=2025-10-08", "--file=@other", "list"], {}, "fast"),
    # the environment, zones and times
    ("env-as-of", ["list", "--format", "json"], {"FUNDWATCH_AS_OF": "2025-10-08"}, "fast"),
    ("new-york", ["upcoming", "--within", "120d"],
     {"TZ": "America/New_York", "FUNDWATCH_AS_OF": "2025-10-08"}, "fast"),
    ("tokyo-setting", ["upcoming", *A, "--within", "120d"], {"FUNDWATCH_CONFIG": "@tokyo"},
     "fast"),
    ("as-of-with-time", ["list", "--as-of", "2025-11-12 18:00"], {}, "fast"),
    ("as-of-day-first", ["upcoming", "--as-of", "12/11/2025", "--within", "1m2w"], {}, "fast"),
    ("zero-window", ["upcoming", "--as-of", "2025-11-12", "--within", "0d", "--format", "json"],
     {}, "fast"),
    # bad values: the fast path hands the run to typer, which reports it
    ("bad-within", ["upcoming", *A, "--within", "10x"], {}, "retry"),
    ("bad-as-of-list", ["list", "--as-of", "31/02/2026"], {}, "retry"),
    ("bad-as-of-upcoming", ["upcoming", "--as-of", "31/02/2026", "--format", "json"], {},
     "retry"),
    ("bad-env-as-of", ["list"], {"FUNDWATCH_AS_OF": "someday"}, "retry"),
    ("missing-file", ["list", "--file", "@missing"], {}, "retry"),
    ("malformed-file", ["upcoming", "--file", "@bad", *A], {}, "retry"),
    ("folder-file", ["list", "--file", "@dir"], {}, "retry"),
    ("empty-file-option", ["list", "--file=", *A], {}, "retry"),
    ("bad-settings", ["list", *A], {"FUNDWATCH_CONFIG": "@badconfig"}, "retry"),
    # command-line mistakes: typer reads them
    ("bogus-status", ["list", "--status", "bogus"], {}, "typer"),
    ("bogus-state", ["upcoming", "--state", "bogus", *A], {}, "typer"),
    ("bogus-format", ["list", "--format", "jsn"], {}, "typer"),
    ("unknown-option", ["list", "--bogus"], {}, "typer"),
    ("all-on-list", ["list", "--all"], {}, "typer"),
    ("within-on-list", ["list", "--within", "10d"], {}, "typer"),
    ("missing-value", ["list", "--as-of"], {}, "typer"),
    ("extra-argument", ["list", "extra"], {}, "typer"),
    ("filter-before-command", ["--tag", "eic", "list"], {}, "typer"),
    ("debug-option", ["upcoming", "--debug", *A, "--within", "120d"], {}, "typer"),
]  # fmt: skip


def run_both(fw_env: dict[str, str], argv: list[str], env: dict[str, str]):
    """(code, stdout, stderr) of the run as it is, and of the run through typer alone."""
    fast_run = in_process(tuple(argv), {**fw_env, **env})
    typer_run = in_process(tuple(argv), {**fw_env, **env, "FUNDWATCH_NO_FASTPATH": "1"})
    return fast_run, typer_run


def run_both_in_processes(fw_env: dict[str, str], argv: list[str], env: dict[str, str]):
    """The same in real processes of the console script."""
    script = shutil.which("fundwatch", path=str(Path(sys.executable).parent))
    assert script, "the fundwatch console script is not installed beside this python"

    def run(command: list[str], extra: dict[str, str]) -> tuple[int, bytes, bytes]:
        proc = subprocess.run(
            [*command, *argv],
            env={**fw_env, **env, **extra},
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )
        return proc.returncode, proc.stdout, proc.stderr

    with ThreadPoolExecutor(2) as pool:
        fast_run = pool.submit(run, [script], {})
        typer_run = pool.submit(run, [script], {"FUNDWATCH_NO_FASTPATH": "1"})
        return fast_run.result(), typer_run.result()


@pytest.mark.parametrize(("argv", "env", "kind"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_fast_path_prints_the_same_bytes(fw_env, paths, argv, env, kind):
    argv = [fill(a, paths) for a in argv]
    env = {k: fill(v, paths) for k, v in env.items()}
    if kind in ("fast", "retry"):
        # the case exercises the fast path (else the comparison proves nothing)
        assert fast.parse(argv) is not None
    fast_result, typer_result = run_both(fw_env, argv, env)
    code, out, err = typer_result
    assert fast_result == typer_result, (
        f"fast path: exit {fast_result[0]}\n{fast_result[1].decode()}{fast_result[2].decode()}\n"
        f"typer:     exit {code}\n{out.decode()}{err.decode()}"
    )
    assert b"Traceback" not in err or "--debug" in argv
    if kind == "fast":
        assert code == 0, err.decode()
    elif kind == "retry":
        assert code == 1 and out == b"" and err.startswith(b"error: "), err.decode()
    else:
        assert code in (0, 2), err.decode()


REAL = ["list-json", "upcoming-table", "file-both", "bad-within", "bogus-format", "missing-value"]


@pytest.mark.parametrize("name", REAL)
def test_fast_path_prints_the_same_bytes_in_real_processes(fw_env, paths, name):
    (argv, env, _kind) = next(c[1:] for c in CASES if c[0] == name)
    argv = [fill(a, paths) for a in argv]
    env = {k: fill(v, paths) for k, v in env.items()}
    fast_result, typer_result = run_both_in_processes(fw_env, argv, env)
    assert fast_result == typer_result
    assert fast_result == run_both(fw_env, argv, env)[0]  # in-process: the same bytes


def test_the_fast_path_imports_neither_typer_nor_rich(fw_env, paths):
    probe = (
        "import sys\n"
        "from fundwatch.cli.main import run\n"
        "code = run(sys.argv[1:])\n"
        "heavy = sorted({'typer', 'rich', 'httpx', 'icalendar'} & set(sys.modules))\n"
        "sys.stderr.write(f'heavy={heavy}')\n"
        "sys.exit(code)\n"
    )
    for argv in (["upcoming", *A, "--within", "120d", "--format", "json"], ["list", *A]):
        argv = [fill(a, paths) for a in argv]
        proc = subprocess.run(
            [sys.executable, "-c", probe, *argv], env=fw_env, capture_output=True, timeout=60
        )
        assert proc.returncode == 0 and proc.stdout, proc.stderr
        assert proc.stderr == b"heavy=[]"


def test_the_fast_path_reads_the_options_the_typer_commands_have():
    import typer.main

    from fundwatch.cli.main import application

    group = typer.main.get_command(application())
    for command in fast.COMMAND_OPTIONS:
        params = {name: p for p in group.commands[command].params for name in p.opts}
        known = fast.GLOBAL | fast.FILTERS | fast.COMMAND_OPTIONS[command]
        for name, opt in (known | fast.COMMAND_FLAGS[command]).items():
            param = params[name]
            assert getattr(param, "is_flag", False) == opt.flag, name
            assert param.multiple == opt.repeat, name
            choices = getattr(param.type, "choices", None)
            assert (list(choices) if choices else None) == (
                [c.value for c in opt.choices] if opt.choices else None
            ), name
            if not opt.repeat:
                assert param.default == opt.default, name

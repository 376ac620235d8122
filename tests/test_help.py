"""Every command's `--help` ends with two to four examples that typer accepts, and reads
well at 80 columns: examples on one line each, choice lists never broken mid-word.
A mistake points at the command's own --help."""

from __future__ import annotations

import shlex

import pytest
import typer.main
from conftest import in_process

from fundwatch.cli.main import application

ROOT = typer.main.get_command(application())


def commands(command=ROOT, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], object]]:
    """(path, command) for the application, its groups and every command in them."""
    found = [(path, command)]
    for name, sub in getattr(command, "commands", {}).items():
        found += commands(sub, (*path, name))
    return found


COMMANDS = commands()
IDS = [" ".join(path) or "fundwatch" for path, _ in COMMANDS]


def examples(text: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines()]
    assert "Examples:" in lines, "no Examples section"
    start = len(lines) - lines[::-1].index("Examples:")
    return [line for line in lines[start:] if line]


def parse(line: str) -> None:
    """Parse an example as the application would (raises typer's usage errors), without
    running it. Pipes and redirections end the command line."""
    words = shlex.split(line)
    for stop in ("|", "||", ">", "&&"):
        if stop in words:
            words = words[: words.index(stop)]
    assert words[0] == "fundwatch", line
    command, name, ctx, level = ROOT, "fundwatch", None, []
    for word in words[1:]:
        sub = getattr(command, "commands", {}).get(word)
        if sub is None:
            level.append(word)
            continue
        if level:  # a group's own options (a group without any would show its help)
            ctx = command.make_context(name, level, parent=ctx)
        command, name, level = sub, word, []
    command.make_context(name, level, parent=ctx)


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_help_ends_with_examples_that_parse(fw_env, path, command):
    code, out, err = in_process((*path, "--help"), {**fw_env, "COLUMNS": "80"})
    assert (code, err) == (0, b"")
    text = out.decode()
    assert all(len(line) <= 80 for line in text.splitlines())
    shown = examples(text)
    assert 2 <= len(shown) <= 4, shown
    assert text.rstrip().endswith(shown[-1])
    for line in shown:
        assert line.startswith("fundwatch "), f"{line!r} is not one line at 80 columns"
        if "--help" not in line:
            parse(line)
        for word in path:
            assert word in line.split() or " ".join(path) == "", line


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_choice_lists_are_not_broken_at_80_columns(fw_env, path, command):
    out = in_process((*path, "--help"), {**fw_env, "COLUMNS": "80"})[1]
    words = set(out.decode().replace("|", " ").replace("<", " ").replace(">", " ")
                .replace(",", " ").replace(".", " ").split())  # fmt: skip
    lines = out.decode().splitlines()
    for param in command.params:
        choices = [str(c) for c in getattr(param.type, "choices", None) or ()]
        missing = [c for c in choices if c not in words]
        assert missing == [], f"{param.name}: {missing} broken in --help at 80 columns"
        if choices:  # shown as <a|b|c>: whole, on one line
            shown = "<" + "|".join(choices) + ">"
            started = [line for line in lines if f"<{choices[0]}|" in line]
            assert all(shown in line for line in started), f"{param.name}: {started}"


@pytest.mark.parametrize(
    ("argv", "where"),
    [
        (["upcoming", "--within"], "fundwatch upcoming"),
        (["list", "--as-of"], "fundwatch list"),
        (["export", "ics", "--alarm"], "fundwatch export ics"),
        (["add", "X", "--deadline"], "fundwatch add"),
        (["--as-of"], "fundwatch"),
        (["upcoming", "--bogus"], "fundwatch upcoming"),
    ],
)
def test_a_missing_value_points_at_the_commands_own_help(fw, argv, where):
    r = fw(*argv)
    assert r.code == 2 and r.out == ""
    assert r.err.endswith(f" (see '{where} --help')\n") and r.err.count("\n") == 1, r.err


@pytest.mark.parametrize(("path", "command"), COMMANDS[1:], ids=IDS[1:])
def test_the_summary_in_the_command_list_is_one_line_of_source(path, command):
    # rich keeps a docstring's line breaks: a summary spread over two source lines
    # comes out broken in the middle of `fundwatch --help`'s command list
    summary = (command.help or "").strip().split("\n\n")[0]
    assert "\n" not in summary, f"{' '.join(path)}: {summary!r}"

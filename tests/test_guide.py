"""The user guide (docs/guide/) cannot go stale: its images, links, commands, menus and payoffs are checked.

- every image it shows exists, and every screenshot is one that scripts/screenshots.py makes;
- every link to another page (and its #anchor) resolves, and mkdocs.yml lists every page;
- every ``roistudio`` command in a ```bash block is parsed by the real argparse parsers (a renamed
  or removed flag fails here); the sweeps on the demo or on the sample export are run for real;
- every ``--option`` quoted in the text is an option of the command;
- every **Menu > Item** it names is an action of the main window;
- every ```payoff block parses in the payoff language, and each preset's block is the preset;
- the worked one-row examples of the presets (outcome values, break-even probability) are recomputed.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import re
import shlex
import shutil
from pathlib import Path

import pytest

from roistudio.cli import main as cli_main
from roistudio.core.payoff.language import OUTCOMES, parse_payoff
from roistudio.core.payoff.presets import PRESETS
from roistudio.core.project.project import VIEWS

REPO = Path(__file__).resolve().parents[1]
GUIDE = REPO / "docs" / "guide"
PAGES = sorted(GUIDE.glob("*.md"))
# File names the guide uses for "your own export", mapped to a real file with the same columns.
SAMPLE_FILES = {"campaign_predictions.csv": REPO / "tests" / "data" / "bank_marketing_scored.csv"}
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```", re.S | re.M)
SHELL_OPERATORS = {"&&", "||", "|", ";", ">", ">>", "<", "2>&1", "&"}


def _text(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def _blocks(language: str) -> list[tuple[Path, str]]:
    return [
        (page, m.group(2)) for page in PAGES for m in FENCE.finditer(_text(page)) if m.group(1) == language
    ]


def _prose(page: Path) -> str:
    """The page without its fenced code blocks."""
    return FENCE.sub("", _text(page))


def _slug(heading: str) -> str:
    """The anchor Python-Markdown's toc extension (mkdocs) gives a heading."""
    text = re.sub(r"[^\w\s-]", "", heading.strip().lower())
    return re.sub(r"[-\s]+", "-", text).strip("-")


def _commands() -> list[tuple[Path, list[str]]]:
    """``roistudio`` argument lists from every ```bash block (continuation lines joined)."""
    found = []
    for page, body in _blocks("bash"):
        for line in body.replace("\\\n", " ").splitlines():
            try:
                tokens = shlex.split(line, comments=True)
            except ValueError as exc:
                pytest.fail(f"{page.name}: cannot split {line!r}: {exc}")
            starts = [
                i
                for i, t in enumerate(tokens)
                if re.split(r"[\\/]", t)[-1] in ("roistudio", "roistudio.exe", "roistudio-cli.exe")
            ]
            if not starts:
                continue
            argv = tokens[starts[0] + 1 :]
            cut = [i for i, t in enumerate(argv) if t in SHELL_OPERATORS or t.startswith((">", "2>"))]
            found.append((page, argv[: cut[0]] if cut else argv))
    return found


COMMANDS = _commands()


def _parse(argv: list[str]) -> argparse.Namespace:
    """Parse as ``roistudio`` does: the GUI parser without a subcommand, the CLI parser with one."""
    if not argv or argv[0] not in (*cli_main.SUBCOMMANDS, "-h", "--help"):
        return cli_main.build_gui_parser().parse_args(argv)
    return cli_main.build_parser().parse_args(cli_main._join_negative_values(argv))


def _all_option_strings() -> set[str]:
    options: set[str] = set()
    parsers = [cli_main.build_parser(), cli_main.build_gui_parser()]
    while parsers:
        parser = parsers.pop()
        for action in parser._actions:
            options.update(action.option_strings)
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.values())
    return options


def test_the_guide_has_its_pages_and_mkdocs_lists_every_one():
    names = {p.name for p in PAGES}
    assert {"index.md", "install.md", "payoffs.md", "command-line.md", "troubleshooting.md"} <= names
    nav = re.findall(r":\s*(guide/[\w-]+\.md)\s*$", (REPO / "mkdocs.yml").read_text(), re.M)
    assert sorted(nav) == sorted(f"guide/{n}" for n in names)
    assert re.search(r"^docs_dir:\s*docs\s*$", (REPO / "mkdocs.yml").read_text(), re.M)


def test_every_image_exists_and_every_screenshot_is_made_by_the_script():
    script = (REPO / "scripts" / "screenshots.py").read_text()
    images = [
        (page, target) for page in PAGES for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", _text(page))
    ]
    assert len(images) >= 10
    for page, target in images:
        path = (page.parent / target).resolve()
        assert path.is_file(), f"{page.name}: image {target} does not exist"
        assert path.stat().st_size > 10_000, f"{page.name}: image {target} looks empty"
        if path.parent == REPO / "docs" / "screenshots":
            stem = path.stem.removesuffix("-dark")
            assert stem in VIEWS or f'"{stem}' in script or f"'{stem}" in script, (
                f"{page.name}: {target} is not made by scripts/screenshots.py"
            )


def test_every_link_between_pages_and_every_anchor_resolves():
    for page in PAGES:
        for target in re.findall(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)", _prose(page)):
            if re.match(r"[a-z]+:", target):
                continue  # an external link
            file, _, anchor = target.partition("#")
            linked = (page.parent / file).resolve() if file else page
            assert linked.is_file(), f"{page.name}: link to missing {target}"
            if anchor and linked.suffix == ".md":
                headings = re.findall(r"^#{1,6}\s+(.+?)\s*$", _prose(linked), re.M)
                assert anchor in {_slug(h) for h in headings}, f"{page.name}: no heading #{anchor} in {file}"


def test_the_guide_shows_enough_commands_to_be_checked():
    subcommands = [argv[0] for _, argv in COMMANDS if argv and argv[0] in cli_main.SUBCOMMANDS]
    assert subcommands.count("sweep") >= 5 and subcommands.count("report") >= 4
    assert any(argv == ["--version"] for _, argv in COMMANDS)


@pytest.mark.parametrize(
    ("page", "argv"), COMMANDS, ids=[f"{p.stem}:{' '.join(a)[:60]}" for p, a in COMMANDS]
)
def test_every_command_parses_with_the_real_parser(page, argv):
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = _parse(argv)
    except SystemExit as exc:  # --help and --version exit 0; a bad flag exits 2
        assert exc.code == 0, (
            f"{page.name}: `roistudio {shlex.join(argv)}` is rejected: {err.getvalue().strip()}"
        )
        return
    assert args is not None


def _runnable(argv: list[str]) -> bool:
    return bool(argv) and argv[0] == "sweep" and ("--demo" in argv or any(a in SAMPLE_FILES for a in argv))


RUNNABLE = [(page, argv) for page, argv in COMMANDS if _runnable(argv)]


@pytest.mark.parametrize(
    ("page", "argv"), RUNNABLE, ids=[f"{p.stem}:{' '.join(a)[:60]}" for p, a in RUNNABLE]
)
def test_sweeps_on_the_demo_and_the_sample_export_run(page, argv, tmp_path, monkeypatch, capsys):
    for name, source in SAMPLE_FILES.items():
        shutil.copy(source, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    code = cli_main.main(argv)
    captured = capsys.readouterr()
    assert code == 0, f"{page.name}: `roistudio {shlex.join(argv)}` failed: {captured.err.strip()}"
    assert "Best threshold" in captured.out


def test_every_option_quoted_in_the_text_exists():
    known = _all_option_strings()
    installer = (REPO / "installers" / "linux" / "install.sh").read_text()
    for page in PAGES:
        for span in re.findall(r"`([^`\n]+)`", _prose(page)):
            for option in re.findall(r"(?<![\w-])--[a-z][a-z-]*", span):
                if option in known:
                    continue
                # install.sh's own option (the page says so where it quotes it)
                assert option in installer and "install.sh" in _text(page), (
                    f"{page.name}: unknown option {option}"
                )


def _action_texts() -> set[str]:
    texts = set()
    for source in (REPO / "src" / "roistudio" / "gui").glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                texts.add(node.value.replace("&", "").replace("…", "").strip())
    return texts


def test_every_menu_item_named_is_an_action_of_the_app():
    texts = _action_texts()
    items = [
        (page, m)
        for page in PAGES
        for m in re.findall(r"\*\*((?:File|Edit|View|Help)(?: > [^*]+)+)\*\*", _text(page))
    ]
    assert len(items) >= 10
    for page, path in items:
        menu, *entries = path.split(" > ")
        for entry in entries:
            assert entry in texts, f"{page.name}: menu item {entry!r} ({path}) is not in the app"
        assert menu in texts


def test_the_no_display_message_is_quoted_exactly():
    from roistudio.gui.app import NO_DISPLAY_MESSAGE

    assert NO_DISPLAY_MESSAGE in [body.strip() for _, body in _blocks("text")]


def _payoff_blocks() -> list[tuple[Path, dict[str, str], dict[str, float]]]:
    blocks = []
    for page, body in _blocks("payoff"):
        expressions, parameters = {}, {}
        for line in body.strip().splitlines():
            name, _, value = (part.strip() for part in line.partition("="))
            if name in OUTCOMES:
                expressions[name] = value
            else:
                parameters[name] = float(value)
        blocks.append((page, expressions, parameters))
    return blocks


def test_every_payoff_block_parses_and_each_preset_is_shown_as_it_is():
    import duckdb

    from roistudio.core.project.demo import demo_data_path

    con = duckdb.connect()
    columns = {
        name: str(kind)
        for name, kind, *_ in con.execute(
            "DESCRIBE SELECT * FROM read_parquet(?)", [str(demo_data_path())]
        ).fetchall()
    }
    columns.update({preset.money_hint: "DOUBLE" for preset in PRESETS.values()})
    blocks = _payoff_blocks()
    assert len(blocks) >= len(PRESETS) + 1
    for page, expressions, parameters in blocks:
        assert set(expressions) == set(OUTCOMES), f"{page.name}: a payoff block lacks an outcome"
        parse_payoff(expressions, parameters, columns)  # raises PayoffError with the position
    shown = [(e, p) for _, e, p in blocks]
    for preset in PRESETS.values():
        assert (dict(preset.expressions), dict(preset.parameters)) in shown, (
            f"preset {preset.name} differs in the guide"
        )


def test_package_names_in_the_guide_carry_the_current_version():
    from roistudio import __version__

    named = [
        (page.name, version)
        for page in PAGES
        for version in re.findall(r"(?:roistudio|ModelROIStudio)-(\d+\.\d+\.\d+)", _text(page))
    ]
    assert named, "the install page names the packages"
    assert all(version == __version__ for _, version in named), named


# The one row each preset's worked example in payoffs.md is about: its money column's value.
WORKED_ROW = {
    "Fraud review": 200,
    "Churn retention offer": 1200,
    "Credit approval": 10_000,
    "Marketing contact": 80,
}


def _money(value: float) -> set[str]:
    """How the guide may write an amount in bold: ``-$215`` or ``-$215.00``, ``$22.50``."""
    sign = "-$" if value < 0 else "$"
    forms = {f"**{sign}{abs(value):,.2f}**"}
    if round(value) == value:
        forms.add(f"**{sign}{abs(value):,.0f}**")
    return forms


def test_the_worked_examples_of_the_presets_are_right():
    import duckdb

    text = _text(GUIDE / "payoffs.md")
    con = duckdb.connect()
    assert set(WORKED_ROW) == set(PRESETS)
    for name, preset in PRESETS.items():
        section = text.split(f"### {name}\n", 1)[1].split("\n#", 1)[0]
        payoff = parse_payoff(preset.expressions, preset.parameters, {preset.money_hint: "DOUBLE"})
        row = f"(SELECT {float(WORKED_ROW[name])}::DOUBLE AS {preset.money_hint})"
        value = {}
        for outcome in OUTCOMES:
            compiled = payoff.compile(outcome)
            value[outcome] = con.execute(f"SELECT {compiled.sql} FROM {row}", compiled.params).fetchone()[0]
            if value[outcome]:
                # A loss may also be written as a positive amount ("loses **$4,500**").
                forms = _money(value[outcome]) | _money(-value[outcome])
                assert any(form in section for form in forms), (
                    f"{name}: {outcome.upper()} = {value[outcome]:,.2f} is not in the worked example"
                )
        # Flagging the row pays when p * (TP - FN) > (1 - p) * (TN - FP).
        gain, cost = value["tp"] - value["fn"], value["tn"] - value["fp"]
        break_even = 100 * cost / (gain + cost)
        assert f"**{break_even:.1f}%**" in section or f"**{break_even:.2f}%**" in section, (
            f"{name}: break-even {break_even:.2f}% is not in the worked example"
        )


def test_every_button_named_in_bold_is_in_the_app():
    texts = _action_texts()
    named = {"Confirm payoff", "Edit payoff", "Show the errors", "Use best", "Presets"}
    for page in PAGES:
        for label in re.findall(r"\*\*([^*]+?)…?\*\*", _text(page)):
            if label in named:
                assert label in texts, f"{page.name}: button {label!r} is not in the app"
    assert all(label in texts for label in named)

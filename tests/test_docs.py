"""The project documents itself: docs/ stands alone for a clone, and its examples are real."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from solver.changes import OPS, apply_changes, parse_changes
from solver.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _yaml_blocks(text: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", text, flags=re.S)


def test_every_change_operation_is_documented_with_an_example_that_parses() -> None:
    text = (DOCS / "changes.md").read_text(encoding="utf-8")
    examples = [change for block in _yaml_blocks(text) for change in parse_changes(yaml.safe_load(block))]
    assert {change.op for change in examples} == set(OPS)
    for op in OPS:
        assert f"`{op}`" in text


def test_each_change_example_applies_to_the_hanoi_scenario() -> None:
    """The examples use Hanoi's ids: each one, alone, applies to scenarios/hanoi-2025.yaml."""
    hanoi = load_scenario(ROOT / "scenarios" / "hanoi-2025.yaml")
    text = (DOCS / "changes.md").read_text(encoding="utf-8")
    block = next(b for b in _yaml_blocks(text) if "op: participant_availability" in b)
    examples = yaml.safe_load(block)
    undo = {"room_reopened": "room_closed", "unpin": "pin", "event_running_late": "event_started",
            "event_ended": "event_started"}  # an example that follows the one before it in the list
    for index, example in enumerate(examples):
        before = [e for e in examples[:index] if e["op"] == undo.get(example["op"])][-1:]
        changed = apply_changes(hanoi, parse_changes([*before, example]))
        assert changed is not hanoi, example


def test_the_rules_page_names_every_rule_validate_reports() -> None:
    text = (DOCS / "rules.md").read_text(encoding="utf-8")
    for n in range(1, 14):
        assert f"**H{n}**" in text
    source = (ROOT / "solver" / "validate.py").read_text(encoding="utf-8")
    for code in set(re.findall(r'self\.add\("([a-z_]+)"', source)):
        assert f"`{code}`" in text, code


def test_the_scenario_page_documents_every_field_and_its_example_rooms_parse(tmp_path: Path) -> None:
    from solver.scenario import Event, Participant, Room, Scenario

    text = (DOCS / "scenario.md").read_text(encoding="utf-8")
    for model in (Scenario, Room, Participant, Event):
        for name, field in model.model_fields.items():
            assert f"`{field.alias or name}`" in text, f"{model.__name__}.{name}"
    document: dict[str, object] = {}
    for block in _yaml_blocks(text)[:5]:  # the summit, rooms, participants, events, resources and security
        document.update(yaml.safe_load(block))
    document["participants"] = [*document["participants"], {"id": "un-sg", "delegation": "UN", "tier": "vvip"}]
    path = tmp_path / "from-the-docs.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    scenario = load_scenario(path)
    assert {e.id for e in scenario.events} == {"opening", "bil-vnm-fra"}


def test_the_readme_stands_alone_for_a_clone() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "../shared" not in readme
    for name in ("scenario", "changes", "rules", "api"):
        assert f"(docs/{name}.md)" in readme
        assert (DOCS / f"{name}.md").is_file()

"""The scenario file format: the committed suites load; a bad file is refused with its name and field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from evals.scenario import FIXTURES_DIR, ScenarioError, load_fixture, load_scenario, load_suite, suite_names

GOOD = {
    "id": "mugs",
    "version": 2,
    "changes": [
        {"version": 1, "date": "2026-11-01", "reason": "first version"},
        {"version": 2, "date": "2026-11-20", "reason": "the price moved to 9.50"},
    ],
    "title": "price of mugs",
    "agent": "sales",
    "fixture": "boutique",
    "clock": "2026-11-18T11:00:00+01:00",
    "actor": {"role": "customer", "name": "amaka"},
    "turns": ["how much are the mugs?", {"say": "ok"}],
    "expect": {"replies": {"contain": ["9.50"]}, "state": {"new_orders": [], "stock": {"MUG-WHT": 11}}},
}


def write(folder: Path, data: object, name: str = "mugs") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_every_committed_suite_loads_with_at_least_sixty_scenarios() -> None:
    names = suite_names()
    assert {"sales", "stock", "discount", "analytics", "adversarial"} <= set(names)
    total = sum(len(load_suite(name).scenarios) for name in names)
    assert total >= 60


def test_a_good_file_loads_with_its_fixture(tmp_path: Path) -> None:
    scenario, fixture = load_scenario(write(tmp_path, GOOD))
    assert scenario.user_messages == ["how much are the mugs?", "ok"]
    assert scenario.channel.value == "eval"  # the default channel
    assert fixture.shops[0].id == "boutique"
    assert len(fixture.shops) >= 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"expect": {"replies": {"contians": ["x"]}}}, "expect.replies.contians: Extra inputs are not permitted"),
        ({"clock": "2026-11-18T11:00:00"}, "clock: Value error, the clock needs a timezone"),
        ({"version": 3}, "must be in version order and end with the current `version`"),
        ({"changes": []}, "changes: List should have at least 1 item"),
        ({"agent": "marketing"}, "agent: Input should be"),
        ({"channel": "fax"}, "channel: Input should be"),
        ({"simulator": {"persona": "p", "reason": "r"}}, "either scripted `turns` or a `simulator`"),
        ({"turns": [{"owner": "approve"}]}, "at least one user message"),
        ({"turns": [{"owner": "maybe"}]}, "turns.0"),
        ({"id": "other"}, "id 'other' must equal the file name 'mugs'"),
        ({"actor": {"role": "customer", "name": "nobody"}}, "actor.name: no customer 'nobody' in shop boutique"),
        ({"actor": {"role": "staff", "name": "amaka"}}, "no staff 'amaka'"),
        ({"fixture": "nowhere"}, "fixture: no fixture 'nowhere' (known: boutique"),
        ({"expect": {"state": {"stock": {"MUG-WHT": "many"}}}}, "expect.state.stock.MUG-WHT"),
    ],
)
def test_a_bad_file_names_the_file_and_the_field(tmp_path: Path, change: dict, message: str) -> None:
    path = write(tmp_path, GOOD | change)
    with pytest.raises(ScenarioError) as raised:
        load_scenario(path)
    assert str(path) in str(raised.value)
    assert message in str(raised.value)


def test_broken_yaml_and_non_mappings_are_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [unclosed\n")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(broken)
    listed = write(tmp_path, ["a", "b"], "listed")
    with pytest.raises(ScenarioError, match="a scenario is a mapping"):
        load_scenario(listed)


def test_an_inline_fixture_is_validated_too(tmp_path: Path) -> None:
    shop = {"id": "solo", "name": "Solo", "products": [{"name": "Mug", "variants": [{"sku": "MUG", "price": "5"}]}]}
    other = {"id": "other", "name": "Other"}
    bad_order = shop | {"orders": [{"lines": {"NOPE": 1}}]}
    data = GOOD | {"fixture": {"shops": [bad_order, other]}, "actor": {"role": "owner", "name": "owner"}}
    with pytest.raises(ScenarioError, match="unknown SKUs"):
        load_scenario(write(tmp_path, data))
    lonely = GOOD | {"fixture": {"shops": [shop]}, "actor": {"role": "owner", "name": "owner"}}
    with pytest.raises(ScenarioError, match="at least 2 items"):
        load_scenario(write(tmp_path, lonely))
    fine = GOOD | {"fixture": {"shops": [shop, other]}, "actor": {"role": "owner", "name": "owner"}}
    assert load_scenario(write(tmp_path, fine))[1].shops[0].id == "solo"


def test_a_suite_reports_every_bad_file_at_once(tmp_path: Path) -> None:
    suite = tmp_path / "suites" / "mixed"
    suite.mkdir(parents=True)
    write(suite, GOOD)
    write(suite, GOOD | {"id": "two", "agent": "nobody"}, "two")
    write(suite, GOOD | {"id": "three", "clock": "yesterday"}, "three")
    with pytest.raises(ScenarioError) as raised:
        load_suite("mixed", tmp_path / "suites", FIXTURES_DIR)
    assert "two.yaml" in str(raised.value)
    assert "three.yaml" in str(raised.value)
    with pytest.raises(ScenarioError, match="no suite 'absent'"):
        load_suite("absent", tmp_path / "suites")


def test_fixture_moments_are_offsets_or_aware_datetimes(tmp_path: Path) -> None:
    shop = {
        "id": "solo",
        "name": "Solo",
        "products": [
            {
                "name": "Mug",
                "variants": [{"sku": "MUG", "price": "5", "stock": [{"qty": 1, "cost": "1", "at": "last tuesday"}]}],
            }
        ],
    }
    (tmp_path / "odd.yaml").write_text(yaml.safe_dump({"shops": [shop, {"id": "b", "name": "B"}]}))
    with pytest.raises(ScenarioError, match="neither an ISO datetime nor an offset"):
        load_fixture("odd", tmp_path)

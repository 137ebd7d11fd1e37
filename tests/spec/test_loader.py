"""Loading stkkr files: every problem at once with its line, YAML problems, file problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from stkkr_tasks.spec import Problem, SpecError, load_stkkr, load_stkkr_text

BAD_FILE = """\
stkkr: Close_Projects
connection: acme-test
schedule: {every: 15 minutes}
fitler: "row.HoursBooked > 1"
get:
  connector: Profit_Projects
  where:
    - {field: Blocked, op: "~", value: false}
    - {field: EndDate, op: "<", value: "{{ row.EndDate }}"}
  page_size: 0
transform:
  fields:
    DtGp: "{{ row.EndDate | dat }}"
    PrSt: [Closed]
update:
  connector: PtProject
  action: upsert
on_error: go
"""


def test_a_bad_file_lists_all_its_problems_with_lines() -> None:
    with pytest.raises(SpecError) as caught:
        load_stkkr_text(BAD_FILE, source="close.yaml")
    found = [(p.line, p.path) for p in caught.value.problems]
    assert found == [
        (1, "stkkr"),
        (3, "schedule.every"),
        (4, ""),  # unknown key 'fitler'
        (5, "get"),  # order_by missing
        (8, "get.where[0].op"),
        (9, "get.where[1].value"),
        (10, "get.page_size"),
        (13, "transform.fields.DtGp"),
        (14, "transform.fields.PrSt"),
        (17, "update.action"),
        (18, "on_error"),
    ]
    text = str(caught.value)
    assert "close.yaml:4: unknown key 'fitler' (did you mean 'filter'?)" in text
    assert "close.yaml:5: get: required key 'order_by' is missing" in text
    assert "close.yaml:13: transform.fields.DtGp: unknown filter 'dat' (did you mean 'date'?)" in text
    assert "Traceback" not in text and "pydantic" not in text.lower()


def test_problems_format_as_file_line_path_message() -> None:
    assert (
        str(Problem("a.yaml", 3, "get.order_by", "must not be empty"))
        == "a.yaml:3: get.order_by: must not be empty"
    )
    assert str(Problem("a.yaml", None, "", "cannot read the file")) == "a.yaml: cannot read the file"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", 1, "the file is empty"),
        ("# only a comment\n", 1, "the file is empty"),
        ("- a\n- b\n", 1, "must be a mapping"),
        ("just text", 1, "must be a mapping"),
        ("stkkr: a\nget: [\n", 3, "YAML syntax error"),
        ("stkkr: a\n  bad: indent\n", 2, "YAML syntax error"),
        ("a: 1\n---\nb: 2\n", 2, "YAML syntax error"),
        ("a: &x [*x, *x]\n", 1, "too large or too deep"),
        ("a: !!python/object:os.system {}\n", 1, "unsupported YAML tag"),
        ("a: !!python/name:os.system x\n", 1, "not a valid YAML value"),
    ],
)
def test_yaml_problems_are_problems(text: str, line: int, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        load_stkkr_text(text, source="f.yaml")
    assert any(p.line == line and message in p.message for p in caught.value.problems), caught.value.problems


def test_an_alias_bomb_is_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 12)]
    with pytest.raises(SpecError, match="too large or too deep"):
        load_stkkr_text("\n".join(lines), source="bomb.yaml")


def test_duplicate_keys_are_reported_with_other_problems() -> None:
    with pytest.raises(SpecError) as caught:
        load_stkkr_text("stkkr: a\nstkkr: b\nconnection: X\n", source="d.yaml")
    problems = caught.value.problems
    assert any(p.line == 2 and p.path == "stkkr" and "more than once" in p.message for p in problems)
    assert any(p.path == "connection" and "lowercase" in p.message for p in problems)
    assert any("required key 'transform' is missing" in p.message for p in problems)


def test_long_unknown_keys_are_shortened() -> None:
    key = "x" * 500
    with pytest.raises(SpecError) as caught:
        load_stkkr_text(f"{key}: 1\n", source="k.yaml")
    assert all(len(p.message) < 200 for p in caught.value.problems)


def test_values_are_not_echoed_in_problems() -> None:
    secret = "Geheim-Waarde-12345"
    text = f"stkkr: {secret}\nconnection: [{secret}]\npage: {{size: {secret}}}\n"
    with pytest.raises(SpecError) as caught:
        load_stkkr_text(text, source="v.yaml")
    assert secret not in str(caught.value)


def test_load_stkkr_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(
        "stkkr: ok\nconnection: c\nget: {connector: G, order_by: [Id]}\n"
        "transform: {fields: {A: 1}}\nupdate: {connector: U, action: insert}\n",
        encoding="utf-8",
    )
    spec = load_stkkr(path)
    assert spec.stkkr == "ok"
    problem = spec.problem_at(("get", "connector"), "does not exist")
    assert (problem.file, problem.line, problem.path) == (str(path), 3, "get.connector")


def test_file_problems(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read the file"):
        load_stkkr(tmp_path / "missing.yaml")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"stkkr: a\ndescription: caf\xe9\n")
    with pytest.raises(SpecError) as caught:
        load_stkkr(latin)
    assert caught.value.problems[0].line == 2 and "not UTF-8" in caught.value.problems[0].message

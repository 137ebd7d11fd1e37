"""`then:` chains: unknown names and cycles are refused before anything is deployed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from stkkr_tasks.deploy.chain import chain_problems
from stkkr_tasks.deploy.files import load_stkkr_files


def test_sound_chains_have_no_problems(write_stkkr: Callable[..., Path]) -> None:
    write_stkkr("first", then=["second", "third"])
    write_stkkr("second", then=["third"])
    write_stkkr("third")

    assert chain_problems(load_stkkr_files()) == []


def test_unknown_names_are_reported_with_the_file(write_stkkr: Callable[..., Path]) -> None:
    path = write_stkkr("first", then=["nobody"])

    (problem,) = chain_problems(load_stkkr_files())

    assert problem.file == str(path)
    assert problem.path == "then"
    assert "unknown stkkr 'nobody'" in problem.message


def test_names_known_elsewhere_are_accepted(write_stkkr: Callable[..., Path]) -> None:
    write_stkkr("first", then=["defined-elsewhere"])

    assert chain_problems(load_stkkr_files(), known={"defined-elsewhere"}) == []


def test_cycles_are_reported_once(write_stkkr: Callable[..., Path]) -> None:
    write_stkkr("a", then=["b"])
    write_stkkr("b", then=["c"])
    write_stkkr("c", then=["a"])
    write_stkkr("ping", then=["pong"])
    write_stkkr("pong", then=["ping", "a"])

    messages = sorted(p.message for p in chain_problems(load_stkkr_files()))

    assert messages == ["cycle a -> b -> c -> a", "cycle ping -> pong -> ping"]

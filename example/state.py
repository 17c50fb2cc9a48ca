"""What the example's modules share for one app: scenario, database path and clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app

from .scenarios import Scenario

Clock = Callable[[], float]


@dataclass(frozen=True)
class ExampleState:
    scenario: Scenario
    database: str
    #: The same clock the session engine uses, so fake time in tests moves everything.
    clock: Clock
    session_max_age: int
    session_update_age: int | None


def example_state() -> ExampleState:
    state: ExampleState = current_app.extensions["example"]
    return state

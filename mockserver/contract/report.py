"""The contract run's own report, after Schemathesis's: a table per operation of the cases
sent, the links walked into it and the checks run on its answers, of shape and of meaning,
and the links the stateful phase walked out of those the spec defines, naming any it did
not, so a run that never went deep says so instead of passing quietly."""

from collections import Counter
from typing import Any

from schemathesis.cli.commands.run.handlers.base import EventHandler
from schemathesis.engine import Status, events
from schemathesis.engine.run import PhaseName

from .checks import NAMES


class Tally:
    """What one run did, by operation: filled from Schemathesis's events, read by `table`."""

    def __init__(self, defined: list[str], walked: set[str]) -> None:
        self.defined = defined
        self.walked = walked  # shared by a run's stateful passes
        self.cases: Counter[str] = Counter()
        self.links_in: Counter[str] = Counter()
        self.checks: Counter[str] = Counter()
        self.meaning: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.stateful = False  # whether the stateful phase ran, so links could be walked

    def scenario(self, recorder: Any) -> None:
        for case_id, node in recorder.cases.items():
            label = node.value.operation.label
            self.cases[label] += 1
            if node.transition is not None and node.is_transition_applied:
                self.links_in[label] += 1
                self.walked.add(node.transition.id)
            for check in recorder.checks.get(case_id, ()):
                self.checks[label] += 1
                self.meaning[label] += check.name in NAMES
                self.failed[label] += check.status == Status.FAILURE

    def table(self) -> list[str]:
        width = max((len(label) for label in self.cases), default=9)
        columns = (self.cases, self.links_in, self.checks, self.meaning, self.failed)
        lines = [
            "mockserver contract: what was sent and checked, by operation",
            f"{'operation':<{width}}" + "".join(f"  {name:>10}" for name in HEADS),
        ]
        for label in sorted(self.cases, key=_by_path):
            lines.append(f"{label:<{width}}" + "".join(f"  {column[label]:>10}" for column in columns))
        if self.stateful:
            missed = _unwalked(self.defined, self.walked)
            walked = len(self.defined) - len(missed)
            by_model = len({link for link in self.defined if link in BY_MODEL} - self.walked)
            model = f" ({by_model} of them by the model's probe alone)" if by_model else ""
            lines.append(
                f"links walked: {walked} of the {len(self.defined)} the spec defines between these operations{model}"
            )
            lines += [f"  not walked: {link}" for link in missed]
        return lines


HEADS = ("cases", "links in", "checks", "of meaning", "failed")


def missed() -> list[str]:
    """The spec's links neither a stateful pass of this run nor the model's probe has walked."""
    return _unwalked(LINKS, WALKED)


def _unwalked(defined: list[str], walked: set[str]) -> list[str]:
    return [link for link in defined if link not in walked and link not in BY_MODEL]


def _by_path(label: str) -> tuple[str, str]:
    method, _, path = label.partition(" ")
    return path, method


class OperationTable(EventHandler):
    """Registered as a Schemathesis CLI handler by `install`; one Tally per run."""

    def __init__(self, *args: Any, **params: Any) -> None:
        self.tally = Tally(LINKS, WALKED)

    def handle_event(self, ctx: Any, event: events.EngineEvent) -> None:
        if isinstance(event, events.ScenarioFinished) and event.is_test_scenario and event.status != Status.SKIP:
            self.tally.scenario(event.recorder)
            self.tally.stateful |= event.phase == PhaseName.STATEFUL_TESTING
        elif isinstance(event, events.EngineFinished):
            print("\n".join(["", *self.tally.table()]), flush=True)


LINKS: list[str] = []
WALKED: set[str] = set()  # by the stateful passes
BY_MODEL: set[str] = set()  # by the model's probe


def walked_by_model(links: set[str]) -> None:
    """Links the model's probe walked: a write answered, then the operation the link leads to
    called with the id that write gave or named, its answer predicted whole. A stateful
    pass is not run again for them alone."""
    BY_MODEL.update(links)


def install(links: list[str]) -> None:
    """Report on this process's Schemathesis CLI runs from now on, as one contract run;
    `links` are the spec's, named as Schemathesis names them."""
    from schemathesis.cli.ext.handlers import CUSTOM_HANDLERS

    LINKS[:] = links
    WALKED.clear()
    BY_MODEL.clear()
    if OperationTable not in CUSTOM_HANDLERS:
        CUSTOM_HANDLERS.append(OperationTable)

"""Helpers of the lab tests."""


class StepClock:
    """A clock the test controls: every reading advances it by ``step`` seconds, so a request's
    time limit passes after a known number of check points, whatever the machine's speed."""

    def __init__(self, step: float):
        self.step, self.now, self.reads = step, 0.0, 0

    def __call__(self) -> float:
        self.now += self.step
        self.reads += 1
        return self.now

"""Fault injection for the emulator: latency and error statuses, per route."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field


@dataclass
class Fault:
    """What to do to calls of one route (``"POST /badges/assign"``, or ``"*"`` for all).

    ``status`` is answered for the next ``times`` calls, or for a ``ratio`` share of calls
    when ``times`` is None. ``latency`` is waited before handling; ``latency_after`` after
    the change is stored, which is how a "stored but timed out" outcome is simulated.
    """

    status: int | None = None
    times: int | None = None
    ratio: float = 1.0
    latency: float = 0.0
    latency_after: float = 0.0
    retry_after: float | None = None


@dataclass
class FaultPlan:
    """The faults in force, keyed by route; thread-safe because the admin API changes it."""

    faults: dict[str, Fault] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def set(self, route: str, fault: Fault) -> None:
        """Install ``fault`` for ``route``, replacing any earlier one."""
        with self._lock:
            self.faults[route] = fault

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self.faults.clear()

    def draw(self, route: str) -> tuple[Fault | None, int | None]:
        """The fault for this call of ``route`` and the status to answer, if any."""
        with self._lock:
            fault = self.faults.get(route) or self.faults.get("*")
            if fault is None:
                return None, None
            status = None
            if fault.status is not None:
                if fault.times is not None:
                    if fault.times > 0:
                        fault.times -= 1
                        status = fault.status
                elif random.random() < fault.ratio:
                    status = fault.status
            return fault, status

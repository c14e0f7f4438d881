"""An in-process or standalone emulator of Quantive's Badges API, for tests and offline mode."""

from api.emulator.app import DEFAULT_TOKEN, Emulator
from api.emulator.faults import Fault

__all__ = ["DEFAULT_TOKEN", "Emulator", "Fault"]

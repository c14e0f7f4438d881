"""The chat platforms badgebot speaks on. Chat ids (people, channels, messages) are only
unique within one platform, so the store keeps each with its platform."""

from __future__ import annotations

from typing import Literal

Platform = Literal["slack", "teams"]

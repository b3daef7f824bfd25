"""One simulated HTTP answer (shared by the network, the zoo and the fault modes)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

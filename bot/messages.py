"""What flows between channels and the dialogue core, independent of any platform."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Button:
    label: str
    # Opaque to channels; the dialogue core reads it back when the button is pressed.
    payload: str


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = ()
    links: tuple[Link, ...] = ()

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "buttons": [{"label": b.label, "payload": b.payload} for b in self.buttons],
            "links": [{"label": link.label, "url": link.url} for link in self.links],
        }


@dataclass(frozen=True)
class Incoming:
    channel: str
    user: str
    text: str | None = None
    button: str | None = None
    extras: dict = field(default_factory=dict)

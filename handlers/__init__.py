"""One module per intent; each turns an Understanding into replies, knowing no platform.

Each module registers what answers its intent with `handlers.intents.answers`; importing this
package registers them all, so that the dialogue (bot/dialogue.py) dispatches every intent
through `handlers.intents.handler_for`. Buttons and forms are routed by the dialogue too.
"""

from handlers import (  # noqa: F401  (imported for their registrations)
    contacts,
    menu,
    online_help,
    out_of_scope,
    petition_form,
    procedure_turns,
    rating_form,
    smalltalk,
    status,
    subscriptions,
)

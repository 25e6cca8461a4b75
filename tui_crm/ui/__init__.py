"""The terminal app (Textual).

Textual draws at most TEXTUAL_FPS frames a second (60 unless set), and a key's rows, read a
few milliseconds after the frame that echoed the key, waited for the next of those ticks: up
to 16 ms of the 33 from a key to its rows drawn. At 240 the wait is 4 ms at most (keystroke
to rows drawn p50 / p95 33 / 40 → 15 / 23 ms at 100 000 customers). A frame is drawn only
when something changed, and then only the lines that changed, so this costs nothing while
the screen is still. Set here, before Textual is first imported; a TEXTUAL_FPS of the user's
own wins."""

import os

os.environ.setdefault("TEXTUAL_FPS", "240")

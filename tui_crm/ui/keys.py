"""Keys in the order they were typed, each one after the one before has done its work.

Textual (8.2) hands a key to the widget that has the focus when the app reads it from the
terminal, but runs the key's bindings (`tab` → next field, `l` → the log dialog) only once
the key has bubbled back up to the app through the message queue of every widget on the
way. Keys that arrive together, as a fast typist's do over SSH, have all been handed out by
then: the text typed after a Tab goes into the field before it ("RobSmith"), and a note
typed right after `l` goes to the list (where its letters are other keys) instead of the
dialog `l` opens. A screen that is still mounting has no focus, so keys sent to it are lost.

`KeysInOrder` (mixed into the app) lets one key or paste out at a time. The next one goes
when the last one has been handled all the way up, and the screen on top has then mounted,
set its focus and handled what was queued for it. A screen can hold keys back while it has
no answer yet for them to act on (its list is loading): it says so with a `holding_keys`
property and calls `resume_keys(app)` when it has one.
"""

from __future__ import annotations

import asyncio
import sys
from collections import deque

from textual import events
from textual.message import Message
from textual.message_pump import MessagePump
from textual.widgets import Input
from textual.worker import Worker, WorkerState

# How often a key on its way is checked for a lost path (a widget removed before the key
# came back from it). Only a lost path lets the next key go early; a slow one is waited for.
CHECK_EVERY = 0.25


class KeyPassed(Message):
    """Posted right behind a key to the widget the key went to. It bubbles up the same way,
    behind the key at every step, so when it reaches the app the key has been handled."""

    def __init__(self, serial: int) -> None:
        super().__init__()
        self.serial = serial


class ScreenSettled(Message):
    """Posted, once a key was handled, to the widget that has the focus now (or the screen on
    top, before it has set one). It reaches the app behind whatever the key's bindings posted
    on that way (Enter's `Input.Submitted`) and, on a screen just opened, after the screen has
    mounted and set its focus."""

    def __init__(self, serial: int) -> None:
        super().__init__()
        self.serial = serial


class ResumeKeys(Message):
    """A screen that held keys back is ready for them."""


def resume_keys(app: object) -> None:
    """Tell the app a screen's `holding_keys` may have turned false."""
    if isinstance(app, KeysInOrder):
        app.post_message(ResumeKeys())


class ListHoldsKeys:
    """Mixed into a screen that reads its list in a worker of group `LOAD_GROUP`: keys for the
    list wait from `hold_keys()` (the read starts) to `release_keys()` (its answer is shown),
    or until that worker fails, so they act on the list as it is now."""

    LOAD_GROUP = ""
    _loading = False

    @property
    def holding_keys(self) -> bool:
        return self._loading

    def hold_keys(self) -> None:
        self._loading = True

    def release_keys(self) -> None:
        self._loading = False
        resume_keys(self.app)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == self.LOAD_GROUP and event.state == WorkerState.ERROR:
            self.release_keys()


def _reachable(node: MessagePump | None) -> bool:
    """Whether a message posted to `node` can still bubble up to the app."""
    while node is not None:
        if node._closing or node._closed:
            return False
        if node.is_dom_root:
            return True
        node = node._parent
    return False


def _is_text_area(target: MessagePump) -> bool:
    """Whether `target` is a TextArea, without loading Textual's TextArea to ask (some 5 ms of
    the first frame, which has none): one that is not loaded has made no widget."""
    module = sys.modules.get("textual.widgets._text_area")
    return module is not None and isinstance(target, module.TextArea)


class KeysInOrder:
    """Mixed into the App, before `App` in its bases."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._held_keys: deque[events.Key | events.Paste] = deque()
        self._key_serial = 0
        self._key_out: int | None = None  # the serial of the key or settling on its way
        self._key_stage: tuple[MessagePump, bool] | None = None  # where, and is it the key
        self._key_check: asyncio.TimerHandle | None = None

    def _on_mount(self) -> None:
        # A screen closed by a worker (a form saved) ends what the screen held keys for.
        self.screen_change_signal.subscribe(self, lambda _screen: resume_keys(self))

    @property
    def keys_waiting(self) -> int:
        """Keys typed and not yet handed to a widget."""
        return len(self._held_keys)

    @property
    def keys_pending(self) -> bool:
        """Whether keys typed have still to be handed out or to finish."""
        return bool(self._held_keys) or self._key_out is not None

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            if (
                isinstance(event, events.Key)
                and self._held_keys
                and self._screen_holds_keys()
                and self._is_priority(event.key)
            ):
                # ctrl+q still quits while a screen waits for its data.
                await super().on_event(event)
                return
            self._held_keys.append(event)
            await self._send_next_key()
            return
        await super().on_event(event)

    def _screen_holds_keys(self) -> bool:
        try:
            return bool(getattr(self.screen, "holding_keys", False))
        except Exception:  # no screen yet, or one half torn down: nothing to wait for
            return False

    def _is_priority(self, key: str) -> bool:
        bindings = self._bindings.key_to_bindings.get(key, [])
        return any(binding.priority for binding in bindings)

    async def _send_next_key(self) -> None:
        if self._key_out is not None or not self._held_keys or self._screen_holds_keys():
            return
        event = self._held_keys.popleft()
        # Where Textual sends it (after the app's priority bindings had their chance).
        target = self.focused or self.screen
        self._key_serial += 1
        serial = self._key_out = self._key_serial
        await super().on_event(event)
        # Characters typed into a field go on together: the field takes each as text (no
        # binding of a screen or the app answers a printable key there), in order, so they
        # need not wait for each other; the key after them (a Tab, ↓, ctrl+s) still waits.
        while self._held_keys and self._types_text(target, event, self._held_keys[0]):
            event = self._held_keys.popleft()
            await super().on_event(event)
        self._expect(target, KeyPassed(serial), is_key=True)

    def _types_text(self, target: MessagePump, *keys: events.Event) -> bool:
        field = isinstance(target, Input) or (_is_text_area(target) and not target.read_only)
        return field and all(
            isinstance(key, events.Key) and key.is_printable and not self._is_priority(key.key)
            for key in keys
        )

    def _expect(self, node: MessagePump, message: KeyPassed | ScreenSettled, is_key: bool) -> None:
        self._key_stage = (node, is_key)
        if not node.post_message(message):
            self._stage_lost(message.serial)
            return
        if self._key_check is None:
            self._key_check = asyncio.get_running_loop().call_later(CHECK_EVERY, self._check_stage)

    def _check_stage(self) -> None:
        self._key_check = None
        if self._key_out is None or self._key_stage is None:
            return
        node, _ = self._key_stage
        if _reachable(node):
            self._key_check = asyncio.get_running_loop().call_later(CHECK_EVERY, self._check_stage)
        else:
            self._stage_lost(self._key_out)

    def _stage_lost(self, serial: int) -> None:
        """The widget the key (or settling) went to was removed before passing it on."""
        stage = self._key_stage
        if stage is not None and stage[1]:  # the key's bindings ran or never will: settle
            self.post_message(KeyPassed(serial))
        else:
            self.post_message(ScreenSettled(serial))

    def on_key_passed(self, message: KeyPassed) -> None:
        message.stop()
        if message.serial == self._key_out:
            self._settle(message.serial)

    def _settle(self, serial: int) -> None:
        self._expect(self.focused or self.screen, ScreenSettled(serial), is_key=False)

    async def on_screen_settled(self, message: ScreenSettled) -> None:
        message.stop()
        if message.serial != self._key_out:
            return
        if self._key_stage is not None and self._key_stage[0] is not (self.focused or self.screen):
            # The focus moved meanwhile (a screen opened, a field was chosen): settle there.
            self._settle(message.serial)
            return
        self._key_out = self._key_stage = None
        if self._key_check is not None:
            self._key_check.cancel()
            self._key_check = None
        await self._send_next_key()

    def on_resume_keys(self, message: ResumeKeys) -> None:
        message.stop()
        if self._key_out is None and self._held_keys:
            # Settle first: the screen may have just opened another (Enter → a profile).
            self._key_serial += 1
            self._key_out = self._key_serial
            self._settle(self._key_out)


class TypeToSearch:
    """Mixed into a list widget (results, the queue, the tree, …): a printable key that is
    none of the bindings in force goes to the search field instead — typing a name on a list
    searches for it and never fires a command. Lists bind no letters of their own (their
    commands are ctrl- and f-keys; see the key table in the README), so a name typed in flow,
    after a profile or dialog closed, cannot trigger one."""

    searches_typing = True  # False for a list on a screen that must not be left by a letter

    async def _on_key(self, event: events.Key) -> None:
        if (
            self.searches_typing
            and event.is_printable
            and event.character
            and event.key not in self.screen.active_bindings
            and self.app.check_action("go_search", ())  # never away from unsaved work
        ):
            event.stop()
            event.prevent_default()
            self.app.search_typed(event.character)
        # Otherwise Textual goes on to the handlers of the classes below this one.

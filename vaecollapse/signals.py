"""Ctrl-C (SIGINT) and SIGTERM for the command line: stop cleanly, or at once.

While a compiled interval runs, Python's own signal handlers wait for it to return, so
the signals are watched from a thread through `signal.set_wakeup_fd` (written by the C
handler the moment a signal arrives). The first signal sets `StopSignal.event`, which
the sweep checks at the end of every logged interval (it then checkpoints and stops);
outside a sweep (drawing the report) it raises KeyboardInterrupt in the main thread.
A second signal ends the process at once (``os._exit``): every file vaecollapse writes
is written to a temporary name and renamed, so nothing is left half-written.
"""

from __future__ import annotations

import os
import signal
import threading

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}  # 128 + signal number


class StopSignal:
    """Handles SIGINT and SIGTERM once `install`-ed (from the main thread).

    Attributes:
      event: set by the first signal; pass it to `sweep.run_sweep` as ``stop``.
      signum: the first signal's number (None before one arrives).
      in_sweep: while True the first signal only sets ``event`` (the sweep stops at
        its next interval end); while False it raises KeyboardInterrupt.
    """

    def __init__(self, message: str = "stopping at the end of the current logged interval"):
        self.event = threading.Event()
        self.signum: int | None = None
        self.in_sweep = False
        self.message = message

    def install(self) -> StopSignal:
        read, write = os.pipe()
        os.set_blocking(write, False)
        signal.set_wakeup_fd(write, warn_on_full_buffer=False)
        for signum in EXIT_CODES:
            signal.signal(signum, self._in_main_thread)
        threading.Thread(target=self._watch, args=(read,), daemon=True).start()
        return self

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.signum, 130)

    @property
    def name(self) -> str:
        return signal.Signals(self.signum or signal.SIGINT).name

    def _watch(self, read: int) -> None:
        while True:
            signum = os.read(read, 1)[0]
            if self.event.is_set():
                name = signal.Signals(signum).name
                _say(f"\nvaecollapse: {name} again: stopped at once")
                os._exit(EXIT_CODES.get(signum, 130))
            self.signum = signum
            self.event.set()
            if self.in_sweep:
                _say(f"\nvaecollapse: {self.name}: {self.message} (again to stop at once)")

    def _in_main_thread(self, signum, frame) -> None:
        del frame
        self.signum = self.signum or signum
        if not self.in_sweep:
            raise KeyboardInterrupt


def _say(line: str) -> None:
    """Write a line to stderr without Python's buffered streams (safe from a thread that
    may end the process next)."""
    os.write(2, (line + "\n").encode())

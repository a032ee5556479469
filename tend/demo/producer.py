"""Generating the demo's chunks of rows in a forked child process while this one writes them.

Generating rows and writing them each take about half of a large run, and both are mostly
Python: two threads would take turns on the interpreter lock (measured: slower than one).
A forked child has its own interpreter, so it builds chunk n + 1 on the other core while the
parent writes chunk n. The child is a copy of the parent taken after every database read the
generator needs, and it never touches the database: it only sends pickled chunks through a
pipe, which holds one chunk at a time, so memory stays bounded. The data is the same as
generating in-process (same code, same random streams, same order).

Forking needs a POSIX system; elsewhere, and for runs of a single chunk, the chunks are
generated in-process."""

import multiprocessing
import pickle
import sys
import traceback
from collections.abc import Callable, Iterator


def can_fork() -> bool:
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def chunks_from_child(produce: Callable[[], Iterator]) -> Iterator:
    """What `produce()` yields, produced in a forked child (see the module's text)."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    # Output still buffered here would be flushed a second time by the child on exit.
    sys.stdout.flush()
    sys.stderr.flush()
    child = context.Process(target=_produce, args=(produce, sender), daemon=True)
    child.start()
    sender.close()
    try:
        while True:
            try:
                kind, payload = pickle.loads(receiver.recv_bytes())
            except EOFError:
                raise RuntimeError("the demo data generator stopped unexpectedly") from None
            if kind == "done":
                return
            if kind == "error":
                raise RuntimeError(f"the demo data generator failed:\n{payload}")
            yield payload
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()


def _produce(produce: Callable[[], Iterator], sender) -> None:
    try:
        for chunk in produce():
            sender.send_bytes(pickle.dumps(("chunk", chunk), protocol=pickle.HIGHEST_PROTOCOL))
        sender.send_bytes(pickle.dumps(("done", None)))
    except BaseException:
        sender.send_bytes(pickle.dumps(("error", traceback.format_exc())))
    finally:
        sender.close()

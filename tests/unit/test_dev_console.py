"""`make dev`'s console: lines from many threads never interleave (inbox_dev.console)."""

from __future__ import annotations

import io
import json
import threading

from inbox_dev.console import LineAtomicStream


def test_a_line_written_in_pieces_reaches_the_target_only_when_complete() -> None:
    target = io.StringIO()
    stream = LineAtomicStream(target)
    stream.write('{"a": 1}')
    assert target.getvalue() == ""
    stream.write("\n")
    assert target.getvalue() == '{"a": 1}\n'


def test_flush_writes_a_pending_partial_line() -> None:
    target = io.StringIO()
    stream = LineAtomicStream(target)
    stream.write("password: ")
    stream.flush()
    assert target.getvalue() == "password: "


def test_print_from_many_threads_gives_whole_json_lines() -> None:
    """print() writes text and newline separately: the EMF lines that glued log lines together."""
    target = io.StringIO()
    stream = LineAtomicStream(target)
    start = threading.Barrier(8)

    def printer(worker: int) -> None:
        start.wait()
        for n in range(300):
            print(json.dumps({"worker": worker, "n": n, "pad": "x" * (n % 50)}), file=stream)
            if n % 7 == 0:
                stream.write(json.dumps({"worker": worker, "n": -n}) + "\n" + '{"second": true}')
                stream.write("\n")

    threads = [threading.Thread(target=printer, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    lines = target.getvalue().splitlines()
    assert len(lines) == 8 * (300 + 2 * 43)
    assert all(isinstance(json.loads(line), dict) for line in lines)

"""queue_log lines and the calls folded from them (issue 14)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from auskunft.telephony.model.calls import (
    ABANDONED,
    ANSWERED,
    ENDED,
    TALKING,
    TIMEOUT,
    TRANSFERRED,
    Call,
    OutOfOrder,
)
from auskunft.telephony.model.queue_log import Malformed, format_line, parse_line

T0 = 1_546_416_000  # Wednesday, 2 January 2019, 09:00 Europe/Berlin


def fold(*lines: str) -> Call:
    events = [e for e in (parse_line(line) for line in lines) if e is not None]
    call = Call(call_id=events[0].call_id)
    for event in events:
        call.apply(event)
    return call


def test_an_answered_call() -> None:
    call = fold(
        format_line(T0, "c1", "NONE", "", "DID", "115"),
        format_line(T0, "c1", "buergeramt", "", "ENTERQUEUE", "", "0561 1234567", "1"),
        format_line(T0 + 12, "c1", "buergeramt", "Agent/7", "CONNECT", "12", "x", "3"),
        format_line(T0 + 200, "c1", "buergeramt", "Agent/7", "COMPLETECALLER", "12", "188", "1"),
    )
    assert call.state == ENDED and call.result == ANSWERED
    assert call.did == "115" and call.caller == "0561 1234567"
    assert call.entered_at == datetime.fromtimestamp(T0, UTC)
    assert call.wait_s == 12 and call.talk_s == 188 and call.agent == "Agent/7"


def test_abandoned_timed_out_and_transferred() -> None:
    gone = fold(
        format_line(T0, "c2", "q", "", "ENTERQUEUE", "", "", "1"),
        format_line(T0 + 40, "c2", "q", "", "ABANDON", "1", "1", "40"),
    )
    assert gone.result == ABANDONED and gone.wait_s == 40 and not gone.answered
    timed = fold(
        format_line(T0, "c3", "q", "", "ENTERQUEUE", "", "", "1"),
        format_line(T0 + 300, "c3", "q", "", "EXITWITHTIMEOUT", "1", "1", "300"),
    )
    assert timed.result == TIMEOUT
    handed = fold(
        format_line(T0, "c4", "q", "", "ENTERQUEUE", "", "", "1"),
        format_line(T0 + 5, "c4", "q", "A", "CONNECT", "5", "x", "1"),
        format_line(T0 + 65, "c4", "q", "A", "TRANSFER", "2001", "ctx", "5", "60"),
    )
    assert handed.result == TRANSFERRED and handed.talk_s == 60 and handed.answered


def test_an_overflow_to_another_queue_is_one_call_whose_wait_goes_on() -> None:
    call = fold(
        format_line(T0, "c5", "q1", "", "ENTERQUEUE", "", "", "1"),
        format_line(T0 + 60, "c5", "q1", "", "EXITWITHTIMEOUT", "1", "1", "60"),
        format_line(T0 + 61, "c5", "q2", "", "ENTERQUEUE", "", "", "1"),
        format_line(T0 + 70, "c5", "q2", "B", "CONNECT", "9", "x", "1"),
    )
    assert call.state == TALKING and call.queue == "q2" and call.wait_s == 70


@pytest.mark.parametrize(
    "lines",
    [
        # connected before entering a queue
        [format_line(T0, "c", "q", "A", "CONNECT", "0", "x", "1")],
        # completed while waiting
        [
            format_line(T0, "c", "q", "", "ENTERQUEUE", "", "", "1"),
            format_line(T0 + 9, "c", "q", "A", "COMPLETEAGENT", "1", "8", "1"),
        ],
        # an event older than the one before it
        [
            format_line(T0 + 100, "c", "q", "", "ENTERQUEUE", "", "", "1"),
            format_line(T0 + 10, "c", "q", "", "ABANDON", "1", "1", "3"),
        ],
        # abandoned while talking
        [
            format_line(T0, "c", "q", "", "ENTERQUEUE", "", "", "1"),
            format_line(T0 + 1, "c", "q", "A", "CONNECT", "1", "x", "1"),
            format_line(T0 + 9, "c", "q", "", "ABANDON", "1", "1", "9"),
        ],
    ],
)
def test_events_out_of_order_are_refused(lines: list[str]) -> None:
    with pytest.raises(OutOfOrder):
        fold(format_line(T0 - 5, "c", "NONE", "", "DID", "115"), *lines)


def test_a_repeated_event_changes_nothing() -> None:
    enter = format_line(T0, "c6", "q", "", "ENTERQUEUE", "", "", "1")
    connect = format_line(T0 + 3, "c6", "q", "A", "CONNECT", "3", "x", "1")
    call = fold(enter, enter, connect, connect)
    assert call.state == TALKING and call.wait_s == 3


@pytest.mark.parametrize(
    "line",
    [
        "",
        "1546416000|c|q|A",
        "gestern|c|q|A|ENTERQUEUE|||1",
        "123|c|q|A|ENTERQUEUE|||1",  # 1970
        "1546416000|c|q|A|enterqueue|||1",
        "1546416000|c|q|A|CONNECT|zwölf|x|1",
        "1546416000|c|q|A|COMPLETECALLER|12|-30|1",  # a negative handling time
        "1546416000|c|q|A|COMPLETECALLER|12",  # the talk time missing
        "1546416000|c|q|A|ABANDON|1|1|",
        "1546416000|c|NONE|NONE|DID|",
        "1546416000|c|q|A|ENTERQUEUE|" + "x" * 300,
    ],
)
def test_malformed_lines_say_why(line: str) -> None:
    with pytest.raises(Malformed) as refused:
        parse_line(line)
    assert refused.value.german and refused.value.english


def test_lines_that_concern_no_call_are_skipped_not_refused() -> None:
    assert parse_line("1546416000|NONE|NONE|NONE|QUEUESTART|") is None
    assert parse_line("1546416000|1546416000.1|q|Agent/7|PAUSE|Mittag") is None
    assert parse_line("1546416000|c|q|Agent/7|ADDMEMBER|") is None

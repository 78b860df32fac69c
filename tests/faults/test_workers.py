"""F1, F2: a gunicorn worker SIGKILLed before and after COMMIT (both engines)."""

import os
import signal

from tests.faults import harness


def _kill_mid_request(server, token):
    flight = harness.InFlight(server.port, token)
    flight.start()
    assert flight.connected.wait(10)
    # The submit hook sleeps before COMMIT: find the worker holding this connection.
    pid = harness.wait_for(
        lambda: server.worker_serving(flight.client_port), 10, "the worker serving the submit"
    )
    return flight, pid


def test_f1_worker_killed_before_commit(db_url, serve):
    made = harness.seed(db_url, tokens=2, code="F1")
    token = made.tokens[0]
    server = serve(db_url, workers=2, HL_FAULT_SUBMIT_SLEEP="2")
    before = server.workers()

    flight, pid = _kill_mid_request(server, token)
    os.kill(pid, signal.SIGKILL)
    flight.join(30)
    # No proxy in front: the client sees the connection dropped (nginx would say 502).
    assert flight.result is None and flight.error is not None, flight.result
    assert harness.answers_by_token(db_url, [token]) == {token: 0}  # no row, link unused

    # The arbiter notices and boots a replacement.
    harness.wait_for(
        lambda: len(server.workers()) == 2 and pid not in server.workers(), 10, "a new worker"
    )
    assert set(server.workers()) - set(before), "no replacement worker"
    log = server.log()
    assert f"Worker (pid:{pid}) was sent SIGKILL" in log, log[-2000:]

    # The parent's retry succeeds once; a second retry is told it was already answered.
    assert harness.submit(server.port, token).status == 303
    assert harness.submit(server.port, token).status == 409
    assert harness.answers_by_token(db_url, [token]) == {token: 1}


def test_f2_worker_killed_after_commit(db_url, serve):
    made = harness.seed(db_url, tokens=1, code="F2")
    token = made.tokens[0]
    server = serve(db_url, workers=2, HL_FAULT_KILL_AFTER_COMMIT="1")

    outcome = harness.outcome(server.port, token)
    assert isinstance(outcome, str), outcome  # the worker died: the client saw no answer
    assert harness.answers_by_token(db_url, [token]) == {token: 1}  # but the row is there

    harness.wait_for(lambda: len(server.workers()) == 2, 10, "a replacement worker")
    retry = harness.submit(server.port, token)
    assert retry.status == 409, retry.body[:500]
    assert "Đã có câu trả lời" in retry.body or "cảm ơn" in retry.body.lower()
    assert harness.answers_by_token(db_url, [token]) == {token: 1}

"""The worker's operations endpoint: health and metrics that count what it decided."""
import re
import socket
import time

import requests

from pipeline_support import new_token, now_ms, reserve, wait_decided


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_worker_health_and_metrics(db, topics, workers):
    schedule, seats = db.schedule()
    users = db.users(5)
    port = free_port()
    worker = workers(topics, db, FT_WORKER_HTTP_PORT=port)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            assert requests.get(base + "/healthz", timeout=1).json() == {"status": "ok"}
            break
        except requests.RequestException:
            assert time.monotonic() < deadline, "worker's /healthz never answered"
            time.sleep(0.2)
    ts = now_ms()
    for i, user in enumerate(users):
        topics.send(reserve(new_token(), user, schedule, ts + i, seat_ids=[seats[1][i]]))
    topics.flush()
    wait_decided(db, topics)
    text = requests.get(base + "/metrics", timeout=5).text
    assert int(re.search(r"^ft_worker_commands_total (\d+)$", text, re.M).group(1)) == 5
    assert int(re.search(r"^ft_worker_partitions (\d+)$", text, re.M).group(1)) == topics.partitions
    assert requests.get(base + "/nope", timeout=5).status_code == 404
    worker.stop()

"""A batch whose data PostgreSQL refuses (an integrity or data error) stops its own
partition, loudly, and no other: the worker commits every partition's batch in one
transaction, and retrying that transaction as if PostgreSQL were away would hold up
every schedule the worker writes, and every worker that took its partitions over."""
import time

from pipeline_support import store_ended_reservation, wait_decided, wait_for, worker_metric
from test_log_gap import one_seat_on_each, stored_offset, two_schedules_on_different_partitions
from test_ops import free_port


def test_a_refused_batch_stops_its_partition_and_no_other(db, topics, workers):
    (schedule, seats), (healthy, healthy_seats) = two_schedules_on_different_partitions(db, topics)
    partition = schedule % topics.partitions
    users = db.users(2)
    # A row the worker does not expect: a reservation that has the id the partition's first
    # hold gets ((offset 0 + 1) * 1024 + partition), as a hand-made repair might leave.
    planted = 1024 + partition
    store_ended_reservation(db, planted, users[1], schedule)
    blocked, other = one_seat_on_each(topics, users, (schedule, seats), (healthy, healthy_seats))
    port = free_port()
    # A batch may wait a second to fill: both commands go into one commit, and the refusal
    # of that commit is what must not hold up the healthy partition.
    worker = workers(topics, db, FT_WORKER_HTTP_PORT=port, FT_WORKER_BATCH_MS="1000")

    wait_for(lambda: other in db.outcomes([other]), "the other partition's command decided")
    assert db.outcomes([other])[other][0] == "HELD"
    wait_for(lambda: "worker.batch_refused" in worker.text(), "the refusal reported")
    line = next(li for li in worker.text().splitlines() if "worker.batch_refused" in li)
    assert f"partition={partition} next_offset=1 commands=1 " in line, line
    assert "worker.commit_split partitions=2 " in worker.text(), "the shared commit was refused, then split"
    assert "sqlstate=23505" in worker.text(), "the database's reason logged"
    assert worker_metric(port, "ft_worker_batches_refused_total") == 1, "alertable"
    time.sleep(1)
    assert db.outcomes([blocked]) == {}, "nothing of the refused batch stored"
    assert stored_offset(db, topics, partition) == 0
    retries = worker_metric(port, "ft_worker_commit_retries_total")
    time.sleep(1.5)
    assert worker_metric(port, "ft_worker_commit_retries_total") == retries, "a refusal is not retried"

    # The operator removes the row; the partition, claimed again, decides the command.
    db.rows("DELETE FROM reservations WHERE id = %s RETURNING 1", planted)
    worker.stop()
    workers(topics, db)
    wait_decided(db, topics)
    decided = db.outcomes([blocked])[blocked]
    assert decided[0] == "HELD" and decided[2] == planted, decided

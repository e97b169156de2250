"""A partition whose stored offset the log cannot give stops, loudly, instead of going on
from either end of the log: commands deleted before anyone decided them would be passed
over, and a recreated topic's new commands taken for decided. Until an operator names
where it resumes (ft-admin resume-partition), nothing of it is decided; the other
partitions go on."""
import json
import os
import subprocess
import time

from pipeline_support import (BROKERS, new_token, now_ms, reserve, store_ended_reservation, wait_decided, wait_for,
                              worker_metric)
from test_ops import free_port


def resume_partition(db, topics, partition, at):
    env = dict(os.environ, FT_DATABASE_URL=db.url, FT_KAFKA_BROKERS=BROKERS, FT_TOPIC_COMMANDS=topics.commands)
    return subprocess.run([os.environ["FT_ADMIN_BIN"], "resume-partition", "--partition", str(partition),
                           "--at", str(at)], env=env, capture_output=True, text=True, timeout=60)


def stored_offset(db, topics, partition):
    return db.decided_offsets(topics.commands).get(partition, 0)


def two_schedules_on_different_partitions(db, topics):
    first, first_seats = db.schedule()
    while True:
        other, other_seats = db.schedule()
        if other % topics.partitions != first % topics.partitions:
            return (first, first_seats), (other, other_seats)


def one_seat_on_each(topics, users, first, other):
    """Queues one request for a seat of each of two schedules (schedule, seats), by users[0]
    and users[1]; their tokens."""
    ts = now_ms()
    tokens = new_token(), new_token()
    for token, user, (schedule, seats) in zip(tokens, users, (first, other)):
        topics.send(reserve(token, user, schedule, ts, seat_ids=[seats[1][0]]))
    topics.flush()
    return tokens


def test_a_log_that_ends_before_the_stored_offset_stops_the_partition(db, topics, workers):
    (schedule, seats), (healthy, healthy_seats) = two_schedules_on_different_partitions(db, topics)
    partition = schedule % topics.partitions
    users = db.users(2)
    # The database went on to offset 40 of a log that has been recreated since (empty).
    db.rows("INSERT INTO partition_offsets (topic, partition, next_offset) VALUES (%s, %s, 40) RETURNING 1",
            topics.commands, partition)
    # Among its holds, the one decided at the old log's offset 0 (its id: (0 + 1) * 1024 +
    # partition), now expired; the new log's offset 0 must not take its id.
    old_id = 1024 + partition
    store_ended_reservation(db, old_id, users[1], schedule)
    new, other = one_seat_on_each(topics, users, (schedule, seats), (healthy, healthy_seats))
    port = free_port()
    worker = workers(topics, db, FT_WORKER_HTTP_PORT=port)

    wait_for(lambda: "worker.log_gap" in worker.text(), "the gap reported")
    line = next(li for li in worker.text().splitlines() if "worker.log_gap" in li)
    assert f"partition={partition} resume_offset=40 log_start=0 log_end=1 " in line, line
    assert "the log ends before the stored offset" in line
    assert worker_metric(port, "ft_worker_partitions_at_gap") == 1, "alertable"
    wait_for(lambda: other in db.outcomes([other]), "the other partition's command decided")
    time.sleep(1)  # the worker had its chance to decide the new command
    assert db.outcomes([new]) == {}, "the recreated log's command was not taken for decided"
    assert stored_offset(db, topics, partition) == 40

    refused = resume_partition(db, topics, partition, 5)
    assert refused.returncode != 0 and "holds offsets 0..1, not 5" in refused.stderr, refused.stderr
    done = resume_partition(db, topics, partition, 0)
    assert done.returncode == 0, done.stderr
    assert "now resumes at 0" in done.stdout
    again = resume_partition(db, topics, partition, 0)
    assert again.returncode != 0 and "no gap to pass over" in again.stderr, again.stderr

    worker.stop()
    workers(topics, db)
    wait_decided(db, topics)
    decided = db.outcomes([new])[new]
    assert decided[0] == "HELD", "decided once the operator said where to resume"
    assert decided[2] > old_id, "an id past every offset of the old log"
    assert db.value("SELECT status FROM reservations WHERE id = %s", old_id) == "EXPIRED", "the old one untouched"


def delete_records_before(topics, partition, offset, tmp_path):
    """Deletes a partition's commands before `offset`, as retention would."""
    spec = tmp_path / "delete.json"
    spec.write_text(json.dumps({"version": 1, "partitions": [
        {"topic": topics.commands, "partition": partition, "offset": offset}]}))
    kafka_sh = os.path.join(os.environ["FT_REPO_ROOT"], "deploy", "local", "kafka.sh")
    result = subprocess.run([kafka_sh, "tool", "org.apache.kafka.tools.DeleteRecordsCommand", "--offset-json-file",
                             str(spec)], env=dict(os.environ, FT_KAFKA_BROKERS=BROKERS), capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_commands_deleted_before_they_were_decided_stop_the_partition(db, topics, workers, tmp_path):
    schedule, seats = db.schedule()
    partition = schedule % topics.partitions
    users = db.users(3)
    ts = now_ms()
    tokens = [new_token() for _ in range(3)]
    for i, token in enumerate(tokens):
        topics.send(reserve(token, users[i], schedule, ts + i, seat_ids=[seats[1][i]]))
    topics.flush()
    delete_records_before(topics, partition, 2, tmp_path)  # no worker ran: two commands lost undecided

    port = free_port()
    worker = workers(topics, db, FT_WORKER_HTTP_PORT=port)
    wait_for(lambda: f"worker.partition_claimed partition={partition} " in worker.text(), "the partition claimed")
    time.sleep(2)  # the worker had its chance to go on from the log's start
    assert db.outcomes(tokens) == {}, "nothing after the gap decided before the operator chose"
    assert stored_offset(db, topics, partition) == 0
    wait_for(lambda: "worker.log_gap" in worker.text(), "the gap reported")
    line = next(li for li in worker.text().splitlines() if "worker.log_gap" in li)
    assert f"partition={partition} resume_offset=0 log_start=2 log_end=3 " in line, line
    assert "commands before the log's start were deleted undecided" in line
    assert worker_metric(port, "ft_worker_partitions_at_gap") == 1

    # The operator accepts the loss: the partition goes on from the log's start.
    assert resume_partition(db, topics, partition, 2).returncode == 0
    worker.stop()
    worker = workers(topics, db, FT_WORKER_HTTP_PORT=port)
    wait_decided(db, topics)
    outcomes = db.outcomes(tokens)
    assert list(outcomes) == [tokens[2]] and outcomes[tokens[2]][0] == "HELD"
    assert worker_metric(port, "ft_worker_partitions_at_gap") == 0

"""The worker's commits when PostgreSQL misbehaves at the worst moment: a batch it had to
give up while stopping must not be skipped by a later one."""
import time

from pipeline_support import new_token, now_ms, reserve, wait_decided


def partition_offset(db, topics, partition):
    return db.decided_offsets(topics.commands)[partition]


def wait_for(condition, what, timeout=20):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.1)


def test_a_batch_given_up_at_shutdown_is_not_skipped_by_a_later_one(db, topics, workers):
    schedule, seats = db.schedule()
    partition = schedule % topics.partitions
    users = db.users(5)
    worker = workers(topics, db)
    ts = now_ms()
    topics.send(reserve(new_token(), users[0], schedule, ts, seat_ids=[seats[1][0]]))
    topics.flush()
    wait_decided(db, topics)
    start = partition_offset(db, topics, partition)

    # PostgreSQL refuses to move the partition up to the end of the next three commands
    # (as a database that is away would), and takes anything beyond.
    db.rows("CREATE TABLE ft_test_refuse (upto bigint); INSERT INTO ft_test_refuse VALUES (%s); "
            "CREATE FUNCTION ft_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.next_offset > OLD.next_offset AND NEW.next_offset <= (SELECT upto FROM ft_test_refuse) THEN "
            "RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$; "
            "CREATE TRIGGER ft_test_refuse BEFORE UPDATE ON partition_offsets FOR EACH ROW "
            "EXECUTE FUNCTION ft_test_refuse(); SELECT 1", start + 3)
    given_up = [new_token() for _ in range(3)]
    for i, token in enumerate(given_up):
        topics.send(reserve(token, users[1 + i], schedule, ts + 1 + i, seat_ids=[seats[2][i]]))
    topics.flush()
    wait_for(lambda: "worker.commit_retry" in worker.text(), "the refused batch retried")
    later = new_token()
    topics.send(reserve(later, users[4], schedule, ts + 10, seat_ids=[seats[3][0]]))
    topics.flush()
    time.sleep(1.5)  # decided into the next batch while the refused one is retried
    worker.stop()  # gives the refused batch up, then flushes what it has left

    assert "worker.batch_abandoned" in worker.text()
    assert partition_offset(db, topics, partition) == start, "nothing after the given-up batch was stored"
    assert db.outcomes(given_up + [later]) == {}

    db.rows("DROP TRIGGER ft_test_refuse ON partition_offsets; SELECT 1")
    workers(topics, db)
    wait_decided(db, topics)
    outcomes = db.outcomes(given_up + [later])
    assert [outcomes[t][0] for t in given_up + [later]] == ["HELD"] * 4, "decided by the next owner, none lost"

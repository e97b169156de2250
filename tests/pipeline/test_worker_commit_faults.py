"""The worker's commits when PostgreSQL misbehaves at the worst moment: a batch it had to
give up while stopping must not be skipped by a later one, and a COMMIT that went through
although its answer was lost must not be written again (its rows would break the primary
keys, and the retry loop would stop every partition for good)."""
import socket
import threading
import time
import types
import urllib.parse

from pipeline_support import new_token, now_ms, reserve, wait_decided, wait_for, worker_metric
from test_ops import free_port


def partition_offset(db, topics, partition):
    return db.decided_offsets(topics.commands)[partition]


def test_a_batch_given_up_at_shutdown_is_not_skipped_by_a_later_one(db, topics, workers):
    schedule, seats = db.schedule()
    partition = schedule % topics.partitions
    users = db.users(5)
    port = free_port()
    worker = workers(topics, db, FT_WORKER_HTTP_PORT=port)
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
    assert worker_metric(port, "ft_worker_commit_retries_total") >= 1, "alertable"
    later = new_token()
    topics.send(reserve(later, users[4], schedule, ts + 10, seat_ids=[seats[3][0]]))
    topics.flush()
    time.sleep(1.5)  # decided into the next batch while the refused one is retried
    worker.stop()  # gives the refused batch up, then flushes what it has left

    assert "worker.batch_abandoned" in worker.text()
    assert "later_commands=1 " in worker.text(), "the later command was decided, and dropped with the partition"
    assert partition_offset(db, topics, partition) == start, "nothing after the given-up batch was stored"
    assert db.outcomes(given_up + [later]) == {}

    db.rows("DROP TRIGGER ft_test_refuse ON partition_offsets; SELECT 1")
    workers(topics, db)
    wait_decided(db, topics)
    outcomes = db.outcomes(given_up + [later])
    assert [outcomes[t][0] for t in given_up + [later]] == ["HELD"] * 4, "decided by the next owner, none lost"


class CuttableRelay:
    """A TCP relay to PostgreSQL whose client connections the test cuts at once. The server
    side finishes what it was doing; its answer never reaches the client."""

    def __init__(self, host, port):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.clients = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self.lock:
                self.clients.append(client)
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        with self.lock:
            cut, self.clients = self.clients, []
        done = 0
        for client in cut:
            try:
                client.shutdown(socket.SHUT_RDWR)
                done += 1
            except OSError:
                pass  # closed already
        return done

    def close(self):
        self.listener.close()
        self.cut()


def test_a_commit_whose_answer_was_lost_is_not_written_twice(db, topics, workers):
    schedule, seats = db.schedule()
    users = db.users(4)
    address = urllib.parse.urlsplit(db.url)
    relay = CuttableRelay(address.hostname, address.port)
    try:
        relayed = types.SimpleNamespace(url=address._replace(netloc=f"{address.username}@127.0.0.1:{relay.port}")
                                        .geturl())
        worker = workers(topics, relayed)
        ts = now_ms()
        topics.send(reserve(new_token(), users[0], schedule, ts, seat_ids=[seats[1][0]]))
        topics.flush()
        wait_decided(db, topics)

        # The next COMMIT waits in a deferred trigger: it is being committed when the
        # connection is cut, and goes through.
        db.rows("CREATE TABLE ft_test_slow (x int); INSERT INTO ft_test_slow VALUES (1); "
                "CREATE FUNCTION ft_test_slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF EXISTS (SELECT 1 FROM ft_test_slow) THEN DELETE FROM ft_test_slow; PERFORM pg_sleep(2); END IF; "
                "RETURN NULL; END $$; "
                "CREATE CONSTRAINT TRIGGER ft_test_slow AFTER UPDATE ON partition_offsets "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ft_test_slow(); SELECT 1")
        lost_answer = [new_token(), new_token()]
        for i, token in enumerate(lost_answer):
            topics.send(reserve(token, users[1 + i], schedule, ts + 1 + i, seat_ids=[seats[2][i]]))
        topics.flush()
        wait_for(lambda: db.value("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' "
                                  "AND query = 'COMMIT'") == 1, "the COMMIT under way")
        assert relay.cut() >= 1
        wait_for(lambda: db.value("SELECT count(*) FROM ft_test_slow") == 0
                 and db.value("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'") == 0,
                 "the COMMIT done")
        assert len(db.outcomes(lost_answer)) == 2, "the COMMIT went through"

        after = new_token()
        topics.send(reserve(after, users[3], schedule, ts + 10, seat_ids=[seats[3][0]]))
        topics.flush()
        wait_decided(db, topics, timeout=30)  # the worker goes on: it is not stuck retrying
        assert "worker.commit_found_stored" in worker.text()
        outcomes = db.outcomes(lost_answer + [after])
        assert [outcomes[t][0] for t in lost_answer + [after]] == ["HELD"] * 3
        assert db.seats_in_two_live_reservations() == 0
        worker.stop()
    finally:
        relay.close()


def test_a_hold_of_a_user_the_database_lacks_is_stored_not_retried_for_ever(db, topics, workers):
    """The worker holds no users and must be able to store any command of the log, also
    one whose user the database has not (restored from a backup older than the user's
    signup, the commands since replayed; or recreated under the same JWT secret)."""
    schedule, seats = db.schedule()
    (user,) = db.users(1)
    gone = user + 1000
    worker = workers(topics, db)
    unknown_user, after = new_token(), new_token()
    ts = now_ms()
    topics.send(reserve(unknown_user, gone, schedule, ts, seat_ids=[seats[1][0]]))
    topics.send(reserve(after, user, schedule, ts + 1, seat_ids=[seats[1][1]]))
    topics.flush()
    wait_decided(db, topics, timeout=30)
    outcomes = db.outcomes([unknown_user, after])
    assert [outcomes[t][0] for t in (unknown_user, after)] == ["HELD", "HELD"]
    assert db.value("SELECT user_id FROM reservations WHERE id = %s", outcomes[unknown_user][2]) == gone
    assert "worker.commit_retry" not in worker.text()
    worker.stop()

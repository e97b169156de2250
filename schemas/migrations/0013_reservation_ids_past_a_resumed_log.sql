-- A reservation's id comes from its command's place in the log, (offset + 1) * 1024 +
-- partition, so that a replay gives the same ids. After a topic is deleted and created
-- again (or a broker that lost its tail becomes leader), `ft-admin resume-partition
-- --at 0` lets the partition's new commands use offsets the old ones had: their holds
-- took the ids of reservations already stored, the batch's insert failed on the primary
-- key, and the worker retried it for good, deciding nothing more on any of its
-- partitions. Ids are now counted from id_base + offset: resume-partition raises a
-- partition's id_base by the offsets the log had used, so no id is ever given twice.
ALTER TABLE partition_offsets ADD COLUMN id_base bigint NOT NULL DEFAULT 0 CHECK (id_base >= 0);

-- Singletons (the retention sweep, the alert evaluator, migrations, seeding default rules) are
-- elected with a lease row and a fencing token instead of GET_LOCK: named locks live in one
-- server's memory and Galera does not replicate them, so on a cluster every node would elect its
-- own leader. A row is replicated like any other, and two nodes taking it at once conflict at
-- certification. IF NOT EXISTS: the migration runner creates this table ahead of its own lease.
CREATE TABLE IF NOT EXISTS singleton_lease (
  name VARCHAR(64) NOT NULL,
  holder VARCHAR(128) NOT NULL,
  fence BIGINT NOT NULL,
  lease_until DATETIME(6) NOT NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

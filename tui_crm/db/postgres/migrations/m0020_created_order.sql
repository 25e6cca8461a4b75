-- Migration 20: customers added in the same second (an import's) in the order `sort:created`
-- gives them without sorting them all.
--
-- Ties by when they were added go by id, oldest first, or newest first after `-created`
-- (db/store/search.py `last_tie`). SQLite's index on created_at holds each row's id and gives
-- that order as it is walked; PostgreSQL's did not, and sorted every customer of an import:
-- `c sort:-created` took 155 ms in a book of 100 000 just imported. NULLS FIRST as the orders
-- are written (db/postgres/search.py `order_term`), so the index gives them either way round.

DROP INDEX customer_created;
CREATE INDEX customer_created ON customer (created_at NULLS FIRST, id);

-- Migration 19: a customer's text is kept whatever its length, as on a file.
--
-- A b-tree index holds each entry whole, and an entry over 2 704 bytes is refused: a 4 000-letter
-- city, name, email, tag, source or vCard UID made the whole customer (or the whole import) fail
-- on PostgreSQL, where a file keeps it. Each such index now holds what a search needs of the
-- value and no more:
-- - the orders by name, company and city read the first 200 characters (crm_prefix;
--   db/postgres/search.py `caseless_order`): the same order as before, but among values that
--   share their first 200 characters, which follow the next key (the id);
-- - equality (city:, source:, an email, a phone, a vCard UID) is a hash index, of any length;
-- - a tag's and a category's name are unique by their digest;
-- - the queue's ties by name, as the orders by name.
-- The duplicates' keys are cut to 200 characters where they are made (core/duplicates.py and
-- db/postgres/duplicates.py).

CREATE FUNCTION crm_prefix(value text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT left(value, 200) $$;

DROP INDEX customer_city;
CREATE INDEX customer_city ON customer (crm_prefix(ascii_lower(city)) COLLATE "C" NULLS FIRST, id);
CREATE INDEX customer_city_equal ON customer USING hash ((ascii_lower(city) COLLATE "C"));
DROP INDEX customer_company;
CREATE INDEX customer_company ON customer (
  crm_prefix(ascii_lower(company)) COLLATE "C" NULLS FIRST, id);
DROP INDEX customer_first_name;
CREATE INDEX customer_first_name ON customer (
  crm_prefix(ascii_lower(first_name)) COLLATE "C" NULLS FIRST,
  crm_prefix(ascii_lower(last_name)) COLLATE "C" NULLS FIRST, id);
DROP INDEX customer_name;
CREATE INDEX customer_name ON customer (
  crm_prefix(ascii_lower(last_name)) COLLATE "C" NULLS FIRST,
  crm_prefix(ascii_lower(first_name)) COLLATE "C" NULLS FIRST, id);

-- Insights count the answers of "why they chose us" from an index of all but the answers too
-- long for one (db/postgres/values.py `WHY`), and those few from one of their own; the lost
-- reasons from the few lost; the sources read every customer's value anyway.
DROP INDEX customer_source;
CREATE INDEX customer_source_equal ON customer USING hash ((ascii_lower(source) COLLATE "C"));
DROP INDEX customer_why_chose_us;
CREATE INDEX customer_why_chose_us ON customer (why_chose_us, deleted_at)
  WHERE octet_length(why_chose_us) < 2000;
CREATE INDEX customer_long_answer ON customer (id) WHERE octet_length(why_chose_us) >= 2000;
DROP INDEX customer_lost_reason;
CREATE INDEX customer_lost ON customer (deleted_at) WHERE status = 'lost';

ALTER TABLE customer DROP CONSTRAINT customer_uid_key;
CREATE UNIQUE INDEX customer_uid ON customer (md5(uid));
CREATE INDEX customer_uid_equal ON customer USING hash (uid);

DROP INDEX customer_email_address;
CREATE INDEX customer_email_address ON customer_email USING hash (lower(address));
-- The duplicates' keys of emails and phones, as the store makes them.
CREATE INDEX customer_email_key ON customer_email (crm_prefix(ascii_lower(address)) COLLATE "C");
DROP INDEX customer_phone_number;
CREATE INDEX customer_phone_number ON customer_phone (crm_prefix(number) COLLATE "C");

DROP INDEX tag_name;
CREATE UNIQUE INDEX tag_name ON tag (md5(lower(name)));
DROP INDEX category_name;
CREATE UNIQUE INDEX category_name ON category (md5(lower(name)));

DROP INDEX attention_score_rank;
CREATE INDEX attention_score_rank ON attention_score (
  score DESC, crm_prefix(name_key) COLLATE "C", customer_id) WHERE score IS NOT NULL;

-- The contact keys the triggers mark for the duplicates, cut as the store makes them (and, as
-- every function that writes, run as its owner: migration 18).
CREATE OR REPLACE FUNCTION crm_mark_duplicate_contact(code text, key text) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO duplicate_dirty_contact (code, key) SELECT code, crm_prefix(key)
  WHERE key IS NOT NULL
  ON CONFLICT (code, key) DO NOTHING;
$$;
DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION crm_mark_duplicate_contact(text, text) SECURITY DEFINER '
                 'SET search_path = %I, pg_temp', current_schema());
END $$;

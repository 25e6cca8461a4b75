"""Migration 12: the duplicate pairs kept in the book (issue 18).

`find_duplicate_pairs` read every live customer and compared them each time (1.5-2.4 s at
100 000 customers). The pairs, and what finding them needs, are now kept
(core/duplicates_kept.py), and the triggers of `db/derived.py` ("Kept duplicate pairs") mark
what a write changes:

- `duplicate_person`: each live customer's facts the pairs read, with their names folded
  (folding is Python, so the rows are written by core/duplicates_kept.py, not by SQL);
- `duplicate_name_count`: how many named customers carry each folded first (`f`) and last
  (`l`) name, and meta `duplicates_size` the number of live customers;
- `duplicate_link`: each two name groups (first and last name folded) whose names match,
  whether their names are rare enough in the book to pair everyone in them (`rare`), and
  bounds of the product of their name counts (`p_lo`, `p_hi`);
- `duplicate_contact`: the pairs each shared email or phone gives, with the text their reason
  shows (an email as compared, a phone's kept display text); `duplicate_name_pair`: the
  pairs the names give, with their reason; `duplicate_pair`: every pair with its score and
  reasons, read in score order;
- `duplicate_dirty`, `duplicate_dirty_contact`: what the triggers marked since.

Nothing is filled here: the first read builds everything (meta `duplicates_kept` is absent).
Like the tables of migration 10, these name no foreign key to `customer`.
"""

from tui_crm.db.derived import duplicate_trigger_sql

SCHEMA = """
CREATE TABLE duplicate_person (
  customer_id INTEGER PRIMARY KEY,
  first TEXT NOT NULL,
  last TEXT NOT NULL,
  company TEXT NOT NULL,
  birthday TEXT,
  gender TEXT NOT NULL,
  first_key TEXT NOT NULL,
  last_key TEXT NOT NULL,
  last_sound TEXT NOT NULL,
  company_key TEXT NOT NULL,
  address_key TEXT NOT NULL
);
CREATE INDEX duplicate_person_name ON duplicate_person (last_key, first_key)
  WHERE first_key != '' AND last_key != '';
CREATE INDEX duplicate_person_sound ON duplicate_person (last_sound, last_key)
  WHERE first_key != '' AND last_key != '';

CREATE TABLE duplicate_name_count (
  part TEXT NOT NULL,
  key TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (part, key)
) WITHOUT ROWID;

CREATE TABLE duplicate_link (
  first_a TEXT NOT NULL,
  last_a TEXT NOT NULL,
  first_b TEXT NOT NULL,
  last_b TEXT NOT NULL,
  rare INTEGER NOT NULL,
  p_lo INTEGER NOT NULL,
  p_hi INTEGER NOT NULL,
  PRIMARY KEY (last_a, first_a, last_b, first_b)
) WITHOUT ROWID;
CREATE INDEX duplicate_link_b ON duplicate_link (last_b, first_b, rare, p_lo, p_hi);
CREATE INDEX duplicate_link_first_a ON duplicate_link (first_a, rare, p_lo, p_hi);
CREATE INDEX duplicate_link_first_b ON duplicate_link (first_b, rare, p_lo, p_hi);
CREATE INDEX duplicate_link_lo ON duplicate_link (rare, p_lo);
CREATE INDEX duplicate_link_hi ON duplicate_link (rare, p_hi);

CREATE TABLE duplicate_contact (
  customer_a INTEGER NOT NULL,
  customer_b INTEGER NOT NULL,
  code TEXT NOT NULL,
  key TEXT NOT NULL,
  label TEXT NOT NULL,
  PRIMARY KEY (customer_a, customer_b, code, key)
) WITHOUT ROWID;
CREATE INDEX duplicate_contact_key ON duplicate_contact (code, key);
CREATE INDEX duplicate_contact_b ON duplicate_contact (customer_b);

CREATE TABLE duplicate_name_pair (
  customer_a INTEGER NOT NULL,
  customer_b INTEGER NOT NULL,
  code TEXT NOT NULL,
  text TEXT NOT NULL,
  PRIMARY KEY (customer_a, customer_b)
) WITHOUT ROWID;
CREATE INDEX duplicate_name_pair_b ON duplicate_name_pair (customer_b);

CREATE TABLE duplicate_pair (
  customer_a INTEGER NOT NULL,
  customer_b INTEGER NOT NULL,
  score REAL NOT NULL,
  reasons TEXT NOT NULL,
  PRIMARY KEY (customer_a, customer_b)
) WITHOUT ROWID;
CREATE INDEX duplicate_pair_b ON duplicate_pair (customer_b);
CREATE INDEX duplicate_pair_order ON duplicate_pair (score DESC, customer_a, customer_b);

CREATE TABLE duplicate_dirty (customer_id INTEGER PRIMARY KEY);

CREATE TABLE duplicate_dirty_contact (
  code TEXT NOT NULL,
  key TEXT NOT NULL,
  PRIMARY KEY (code, key)
) WITHOUT ROWID
"""


def up(db) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute_sql(statement)
    for statement in duplicate_trigger_sql():
        db.execute_sql(statement)

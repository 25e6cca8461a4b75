"""Migration 1: the initial schema, its indexes, the search index and its triggers."""

from tui_crm.db.derived import trigger_sql

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE category (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  cadence_days INTEGER NOT NULL CHECK (cadence_days > 0)
);

CREATE TABLE customer (
  id INTEGER PRIMARY KEY,
  uid TEXT UNIQUE,
  first_name TEXT NOT NULL DEFAULT '',
  last_name TEXT NOT NULL DEFAULT '',
  nickname TEXT NOT NULL DEFAULT '',
  company TEXT NOT NULL DEFAULT '',
  job_title TEXT NOT NULL DEFAULT '',
  gender TEXT NOT NULL DEFAULT '' CHECK (gender IN ('', 'f', 'm', 'x')),
  birthday DATE,
  street TEXT NOT NULL DEFAULT '',
  postal_code TEXT NOT NULL DEFAULT '',
  city TEXT NOT NULL DEFAULT '',
  region TEXT NOT NULL DEFAULT '',
  country TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT '',
  acquired_on DATE,
  referred_by_id INTEGER REFERENCES customer (id) ON DELETE SET NULL,
  why_chose_us TEXT NOT NULL DEFAULT '',
  category_id INTEGER REFERENCES category (id) ON DELETE SET NULL,
  owner TEXT NOT NULL DEFAULT '',
  territory TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'lapsed', 'lost')),
  lost_reason TEXT NOT NULL DEFAULT '',
  lost_on DATE,
  email_opt_out INTEGER NOT NULL DEFAULT 0,
  email_opt_out_at DATETIME,
  notes TEXT NOT NULL DEFAULT '',
  version INTEGER NOT NULL DEFAULT 1,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL,
  deleted_at DATETIME,
  last_contact_at DATETIME,
  next_follow_up DATE,
  lifetime_cents INTEGER NOT NULL DEFAULT 0,
  purchase_count INTEGER NOT NULL DEFAULT 0,
  last_purchase_on DATE,
  CHECK (first_name <> '' OR last_name <> '' OR company <> '')
);
CREATE INDEX customer_name ON customer (last_name COLLATE NOCASE, first_name COLLATE NOCASE);
CREATE INDEX customer_company ON customer (company COLLATE NOCASE);
CREATE INDEX customer_city ON customer (city COLLATE NOCASE);
CREATE INDEX customer_referred_by ON customer (referred_by_id);
CREATE INDEX customer_category ON customer (category_id);
CREATE INDEX customer_next_follow_up ON customer (next_follow_up);
CREATE INDEX customer_last_contact ON customer (last_contact_at);
CREATE INDEX customer_lifetime ON customer (lifetime_cents);

CREATE TABLE customer_email (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
  label TEXT NOT NULL DEFAULT 'work',
  address TEXT NOT NULL,
  position INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX customer_email_customer ON customer_email (customer_id, position);
CREATE INDEX customer_email_address ON customer_email (address COLLATE NOCASE);

CREATE TABLE customer_phone (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
  label TEXT NOT NULL DEFAULT 'mobile',
  number TEXT NOT NULL,
  national TEXT NOT NULL DEFAULT '',
  position INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX customer_phone_customer ON customer_phone (customer_id, position);
CREATE INDEX customer_phone_number ON customer_phone (number);

CREATE TABLE tag (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE);
CREATE TABLE customer_tag (
  customer_id INTEGER NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
  tag_id INTEGER NOT NULL REFERENCES tag (id) ON DELETE CASCADE,
  PRIMARY KEY (customer_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX customer_tag_tag ON customer_tag (tag_id, customer_id);

CREATE TABLE interaction (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
  kind TEXT NOT NULL DEFAULT 'call'
    CHECK (kind IN ('call', 'email', 'meeting', 'message', 'thanks', 'note')),
  at DATETIME NOT NULL,
  notes TEXT NOT NULL DEFAULT '',
  outcome TEXT NOT NULL DEFAULT '',
  follow_up DATE,
  follow_up_done INTEGER NOT NULL DEFAULT 0,
  regarding_id INTEGER REFERENCES customer (id) ON DELETE SET NULL,
  logged_by TEXT NOT NULL DEFAULT '',
  created_at DATETIME NOT NULL
);
CREATE INDEX interaction_customer_at ON interaction (customer_id, at);
CREATE INDEX interaction_regarding ON interaction (regarding_id);

CREATE TABLE purchase (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
  day DATE NOT NULL,
  cents INTEGER NOT NULL,
  currency TEXT NOT NULL DEFAULT 'USD',
  description TEXT NOT NULL DEFAULT '',
  category TEXT NOT NULL DEFAULT '',
  invoice_ref TEXT NOT NULL DEFAULT '',
  created_at DATETIME NOT NULL
);
CREATE INDEX purchase_customer_day ON purchase (customer_id, day);
CREATE INDEX purchase_day ON purchase (day, customer_id, cents);

CREATE TABLE customer_change (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
  at DATETIME NOT NULL,
  who TEXT NOT NULL DEFAULT '',
  field TEXT NOT NULL,
  old TEXT,
  new TEXT,
  version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX customer_change_customer ON customer_change (customer_id, at);

CREATE TABLE customer_value (
  customer_id INTEGER PRIMARY KEY REFERENCES customer (id) ON DELETE CASCADE,
  spent_30d INTEGER NOT NULL,
  spent_12m INTEGER NOT NULL,
  lifetime INTEGER NOT NULL,
  value_rank INTEGER NOT NULL,
  tier TEXT NOT NULL DEFAULT ''
);
CREATE INDEX customer_value_12m ON customer_value (spent_12m);
CREATE INDEX customer_value_30d ON customer_value (spent_30d);
CREATE INDEX customer_value_tier ON customer_value (tier);

CREATE VIRTUAL TABLE customer_fts USING fts5(
  name, company, contact, place, tags, notes,
  tokenize = "unicode61 remove_diacritics 2", prefix = '1 2 3'
);
"""


def up(db) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute_sql(statement)
    for statement in trigger_sql():
        db.execute_sql(statement)

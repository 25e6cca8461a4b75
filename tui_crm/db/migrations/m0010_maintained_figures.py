"""Migration 10: costs that grow no faster than the book (issue 18).

What the needs-attention queue, the value summary and the referral tree read is kept as rows
are written (the triggers of `db/derived.py`, "Maintained figures"), instead of being worked
out from the purchases and interactions when read:

- `purchase_rhythm` holds every customer's purchase days, kept by triggers (before, a row was
  dropped when purchases changed and worked out again when the queue was next read), and meta
  `purchase_gaps` the number of gaps between purchase days over the live customers;
- `customer_value` keeps its spends as of meta `values_day` as purchases are written; when the
  day moves only the customers with a purchase entering or leaving a window are worked out
  again (core/value.py);
- `attention_score`: each customer's queue score and reasons for a day, with the day it was
  worked out, the first day it may differ and the facts it comes from (which only writes
  change); the queue is read in score order from its index (core/attention.py);
- `referral_figure`: each customer in a live referral with their referrer, the 12-month value
  and number of the customers below them; the tree's levels are read from it
  (core/referrals.py); `referral_dirty` lists the customers whose referral or 12-month value
  changed since.

The new tables name no foreign key to `customer` (a merge moves the rows of such tables; these
are worked out again instead). Rhythms and the gap count are filled here; the summaries that
depend on a day (values, scores, referral figures) are built when first read, as the value
summary always was.
"""

from tui_crm.db.derived import RHYTHM_OF, maintained_trigger_sql

SCHEMA = """
CREATE TABLE attention_score (
  customer_id INTEGER PRIMARY KEY,
  score REAL,
  name_key TEXT,
  spent INTEGER,
  w_follow_up_overdue REAL,
  w_follow_up_due REAL,
  w_cadence REAL,
  w_gold_quiet REAL,
  w_lapsed REAL,
  w_thank_referrer REAL,
  w_incomplete_profile REAL,
  computed_on INTEGER NOT NULL DEFAULT 0,
  valid_until INTEGER NOT NULL DEFAULT 0,
  nfu INTEGER,
  heard INTEGER,
  cadence INTEGER,
  quiet_limit INTEGER,
  again_days REAL,
  lapse_since INTEGER,
  lapse_wait REAL,
  oldest INTEGER,
  newest INTEGER,
  marked INTEGER,
  created_day INTEGER,
  blank INTEGER,
  value_factor REAL
);
CREATE INDEX attention_score_rank ON attention_score (score DESC, name_key, customer_id)
  WHERE score IS NOT NULL;
CREATE INDEX attention_score_until ON attention_score (valid_until);

CREATE TABLE referral_figure (
  customer_id INTEGER PRIMARY KEY,
  referrer_id INTEGER,
  cut INTEGER NOT NULL DEFAULT 0,
  in_loop INTEGER NOT NULL DEFAULT 0,
  root INTEGER NOT NULL DEFAULT 0,
  own_12m INTEGER NOT NULL DEFAULT 0,
  below_12m INTEGER NOT NULL DEFAULT 0,
  total_12m INTEGER NOT NULL DEFAULT 0,
  descendants INTEGER NOT NULL DEFAULT 0,
  referred INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX referral_figure_referrer ON referral_figure (referrer_id);
CREATE INDEX referral_figure_root ON referral_figure (total_12m DESC, customer_id) WHERE root = 1;

CREATE TABLE referral_dirty (customer_id INTEGER PRIMARY KEY);

CREATE INDEX customer_value_rank ON customer_value (spent_12m DESC, customer_id);

DROP TRIGGER IF EXISTS purchase_rhythm_ai;
DROP TRIGGER IF EXISTS purchase_rhythm_au;
DROP TRIGGER IF EXISTS purchase_rhythm_ad;
DELETE FROM purchase_rhythm;
DELETE FROM meta WHERE key IN ('values_as_of', 'purchase_gaps')
"""

GAPS = """INSERT OR REPLACE INTO meta (key, value)
SELECT 'purchase_gaps', coalesce(sum(r.purchases - 1), 0) FROM purchase_rhythm r
JOIN customer c ON c.id = r.customer_id WHERE r.purchases > 1 AND c.deleted_at IS NULL"""


def up(db) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute_sql(statement)
    db.execute_sql(
        "INSERT INTO purchase_rhythm (customer_id, purchases, first_day, last_day) "
        + RHYTHM_OF.format(where="")
    )
    db.execute_sql(GAPS)
    for statement in maintained_trigger_sql():
        db.execute_sql(statement)

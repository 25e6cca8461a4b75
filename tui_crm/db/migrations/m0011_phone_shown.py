"""Migration 11: each phone number's display text kept with it (issue 18).

- `customer_phone.shown`: the number as lists show it (`format_phone`, "+47 95 55 12 34"; a
  number kept as typed that phonenumbers cannot read, as it is), written with the number, so
  that listing customers (`tui-crm find`, the search screen, the queue) formats no number and
  loads no phonenumbers metadata. Filled here for every phone already kept: about 40 µs a
  number, some 5 s for a book of 100 000 customers.
- The trigger that rebuilds a customer's search document when a phone changes now watches
  only what the document reads (customer, number, national digits): filling `shown` here, or
  mending it (`tui-crm check --repair`), rebuilds no search document.
"""

from tui_crm.db.derived import phone_update_trigger_sql
from tui_crm.db.phones import write_shown, wrong_shown


def up(db) -> None:
    db.execute_sql("ALTER TABLE customer_phone ADD COLUMN shown TEXT NOT NULL DEFAULT ''")
    db.execute_sql("DROP TRIGGER IF EXISTS customer_phone_au")
    db.execute_sql(phone_update_trigger_sql())
    write_shown(db, wrong_shown(db))

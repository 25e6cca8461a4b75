-- Migration 21: on a file, `status:lost` reads the lost customers from an index of them alone
-- (tui_crm/db/migrations/m0021_lost_index.py). A book on PostgreSQL has had that index since
-- migration 19, under the same name: here it only gets the number, and a word on what it is for.

COMMENT ON INDEX customer_lost IS 'the lost customers: status:lost, and the reasons Insights count';

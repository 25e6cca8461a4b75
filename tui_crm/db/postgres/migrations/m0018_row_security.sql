-- Migration 18: who may see what (README "Team mode", "Keeping a salesperson to their own
-- customers").
--
-- The book's tables belong to the team's role. Whoever has that role's rights (its members,
-- as PostgreSQL's table owners do) reads and writes every customer, as before: none of this
-- applies to them and costs them nothing. A role given rights on the tables without being a
-- member (GRANT … TO sales_reps) sees only the customers whose owner it is, and only their
-- rows: interactions, purchases, history, figures, search documents, queue entries.
--
-- The figures kept for everyone (each customer's, the value summary's, the search documents,
-- the marks for the queue, referrals and duplicates) are written by the schema's functions
-- and triggers as the tables' owner, with the whole book in view, whoever's write set them off:
-- a restricted salesperson's call moves their customer's figures, and the referrer's, exactly
-- as a manager's would. What readers bring up to date (a new day's values and queue, the
-- referral tree's and the duplicates' figures) a restricted session leaves to the team's own
-- sessions (the store's `sees_whole_book`): it would work them out from its own customers
-- alone.
--
-- Each function that writes runs as its owner (SECURITY DEFINER) on the book's own schema
-- first and the session's temporary one last, so no table a session makes can stand in for
-- the book's. Functions that only compute (IMMUTABLE, STABLE) run as the caller, and so does
-- customer_owner_default below, which asks who the caller is (this block runs again after
-- `check --repair` made functions again, and leaves it as it is).

-- Rank of a customer outside gold and silver (core/value.py `customer_value`): everyone with
-- a higher 12-month spend, counted over the whole book, whoever asks. It tells no more than
-- the profile's "rank" does.
CREATE FUNCTION crm_rank_of(cid integer, spent bigint) RETURNS bigint LANGUAGE sql AS $$
  SELECT 1
    + (SELECT count(*) FROM customer_value WHERE spent_12m > spent)
    + (SELECT count(*) FROM customer_value WHERE spent_12m = spent AND customer_id < cid)
$$;

-- The highest customer id in the book (an import names its new customers' ids before they are
-- written), whoever asks.
CREATE FUNCTION crm_last_customer_id() RETURNS integer LANGUAGE sql AS $$
  SELECT coalesce(max(id), 0) FROM customer
$$;

DO $$
DECLARE
  made record;
BEGIN
  FOR made IN
    SELECT p.oid::regprocedure AS signature, p.proname AS name, p.prorettype AS result
    FROM pg_proc p
    WHERE p.pronamespace = current_schema()::regnamespace
      AND p.provolatile = 'v' AND p.prokind = 'f' AND p.proname <> 'customer_owner_default'
      AND p.proowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                      AND d.objid = p.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = %I, pg_temp',
                   made.signature, current_schema());
    -- Called by the book's triggers only, not by a session (which would write others'
    -- figures through them): a trigger function cannot be called at all, and the three a
    -- session calls tell or move nothing of anyone's.
    IF made.result <> 'trigger'::regtype
        AND made.name NOT IN ('crm_rank_of', 'crm_last_customer_id', 'crm_resync_ids') THEN
      EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', made.signature);
    END IF;
  END LOOP;
  -- The views (the search documents') read the tables as whoever reads them: a view reads
  -- them as its owner otherwise, whose rights pass every policy.
  FOR made IN
    SELECT c.relname FROM pg_class c
    WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'v'
      AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
  LOOP
    EXECUTE format('ALTER VIEW %I SET (security_invoker = true)', made.relname);
  END LOOP;
END $$;

-- A customer a restricted salesperson adds without an owner is theirs (the policy below
-- would refuse anyone else's). Runs as the caller: it asks who that is.
CREATE FUNCTION customer_owner_default() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF row_security_active('customer') THEN
    NEW.owner := current_user;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER customer_owner_default BEFORE INSERT ON customer
  FOR EACH ROW WHEN (NEW.owner = '') EXECUTE FUNCTION customer_owner_default();

-- The customers a restricted role owns, and everything of theirs.
ALTER TABLE customer ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_own ON customer
  USING (owner = current_user) WITH CHECK (owner = current_user);

ALTER TABLE customer_change ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_change_own ON customer_change
  USING (customer_id IN (SELECT id FROM customer));
ALTER TABLE customer_email ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_email_own ON customer_email
  USING (customer_id IN (SELECT id FROM customer));
ALTER TABLE customer_phone ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_phone_own ON customer_phone
  USING (customer_id IN (SELECT id FROM customer));
ALTER TABLE customer_tag ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_tag_own ON customer_tag
  USING (customer_id IN (SELECT id FROM customer));
ALTER TABLE interaction ENABLE ROW LEVEL SECURITY;
CREATE POLICY interaction_own ON interaction
  USING (customer_id IN (SELECT id FROM customer));
ALTER TABLE purchase ENABLE ROW LEVEL SECURITY;
CREATE POLICY purchase_own ON purchase
  USING (customer_id IN (SELECT id FROM customer));
ALTER TABLE customer_value ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_value_own ON customer_value
  USING (customer_id IN (SELECT id FROM customer));
ALTER TABLE purchase_rhythm ENABLE ROW LEVEL SECURITY;
CREATE POLICY purchase_rhythm_own ON purchase_rhythm
  USING (customer_id IN (SELECT id FROM customer));
ALTER TABLE attention_mark ENABLE ROW LEVEL SECURITY;
CREATE POLICY attention_mark_own ON attention_mark
  USING (customer_id IN (SELECT id FROM customer));
ALTER TABLE attention_score ENABLE ROW LEVEL SECURITY;
CREATE POLICY attention_score_own ON attention_score
  USING (customer_id IN (SELECT id FROM customer));
ALTER TABLE referral_figure ENABLE ROW LEVEL SECURITY;
CREATE POLICY referral_figure_own ON referral_figure
  USING (customer_id IN (SELECT id FROM customer));
ALTER TABLE duplicate_person ENABLE ROW LEVEL SECURITY;
CREATE POLICY duplicate_person_own ON duplicate_person
  USING (customer_id IN (SELECT id FROM customer));
ALTER TABLE customer_search ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_search_own ON customer_search
  USING (customer_id IN (SELECT id FROM customer));

-- Pairs: both customers theirs.
ALTER TABLE duplicate_dismissal ENABLE ROW LEVEL SECURITY;
CREATE POLICY duplicate_dismissal_own ON duplicate_dismissal
  USING (customer_a_id IN (SELECT id FROM customer)
         AND customer_b_id IN (SELECT id FROM customer));
ALTER TABLE duplicate_contact ENABLE ROW LEVEL SECURITY;
CREATE POLICY duplicate_contact_own ON duplicate_contact
  USING (customer_a IN (SELECT id FROM customer) AND customer_b IN (SELECT id FROM customer));
ALTER TABLE duplicate_name_pair ENABLE ROW LEVEL SECURITY;
CREATE POLICY duplicate_name_pair_own ON duplicate_name_pair
  USING (customer_a IN (SELECT id FROM customer) AND customer_b IN (SELECT id FROM customer));
ALTER TABLE duplicate_pair ENABLE ROW LEVEL SECURITY;
CREATE POLICY duplicate_pair_own ON duplicate_pair
  USING (customer_a IN (SELECT id FROM customer) AND customer_b IN (SELECT id FROM customer));

-- Their own steps to undo (each holds a customer as it was).
ALTER TABLE undo_step ENABLE ROW LEVEL SECURITY;
CREATE POLICY undo_step_own ON undo_step
  USING (who = current_user) WITH CHECK (who = current_user);

-- What only the schema's functions and the team's sessions read and write: the marks of what
-- is to be worked out again, the names counted over every customer, the queue's size.
ALTER TABLE referral_dirty ENABLE ROW LEVEL SECURITY;
CREATE POLICY referral_dirty_none ON referral_dirty USING (false);
ALTER TABLE duplicate_dirty ENABLE ROW LEVEL SECURITY;
CREATE POLICY duplicate_dirty_none ON duplicate_dirty USING (false);
ALTER TABLE duplicate_dirty_contact ENABLE ROW LEVEL SECURITY;
CREATE POLICY duplicate_dirty_contact_none ON duplicate_dirty_contact USING (false);
ALTER TABLE duplicate_link ENABLE ROW LEVEL SECURITY;
CREATE POLICY duplicate_link_none ON duplicate_link USING (false);
ALTER TABLE duplicate_name_count ENABLE ROW LEVEL SECURITY;
CREATE POLICY duplicate_name_count_none ON duplicate_name_count USING (false);
ALTER TABLE search_dirty ENABLE ROW LEVEL SECURITY;
CREATE POLICY search_dirty_none ON search_dirty USING (false);
ALTER TABLE attention_queue_size ENABLE ROW LEVEL SECURITY;
CREATE POLICY attention_queue_size_none ON attention_queue_size USING (false);

-- 0.4's tthub_distribute granted tthub_reader SELECT on the webhook queue; readers see
-- it only as counts now (_delivery_counts()). Only where it was granted: a REVOKE
-- elsewhere would leave an ACL a fresh install does not have.
DO $revoke$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
              WHERE c.oid = '@extschema@.deliveries'::regclass AND a.grantee = 'tthub_reader'::regrole) THEN
    REVOKE SELECT ON @extschema@.deliveries FROM tthub_reader;
  END IF;
END
$revoke$;

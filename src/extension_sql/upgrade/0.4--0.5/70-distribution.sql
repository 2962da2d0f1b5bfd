-- 0.4's tthub_distribute granted tthub_reader SELECT on the webhook queue; readers see
-- it only as counts now (_delivery_counts()). A no-op where it was never granted.
REVOKE SELECT ON @extschema@.deliveries FROM tthub_reader;

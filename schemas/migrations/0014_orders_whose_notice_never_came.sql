-- A buyer who pays and closes the page before it confirms the payment is settled by
-- PortOne's notice (the webhook). When that notice never reached us (sent while we were
-- down, or to a wrong URL), the order stayed PREPARED and PortOne kept the money with
-- nothing to give for it. The expirer now asks PortOne about each order still PREPARED
-- once its hold has ended (expirer/stranded_orders.c); checked_at is when PortOne
-- answered. A paid payment it finds is settled as a confirmation would be: refunded.
ALTER TABLE payments ADD COLUMN checked_at timestamptz;
CREATE INDEX payments_unchecked ON payments (id) WHERE status = 'PREPARED' AND checked_at IS NULL;

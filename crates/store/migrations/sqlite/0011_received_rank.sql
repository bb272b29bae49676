-- A message's status rank is its place in domain::message::MessageStatus, so no two statuses share one:
-- `received` (a message to the business, which has no delivery to follow) ranks below `pending`.
-- Rows written before stored 0 for it; every other status keeps its rank.
UPDATE messages SET status_rank = -1 WHERE status = 'received';

-- An inbox page is a person's conversations newest first, ties broken by
-- conversation: with the id in the index the page is read in order, not sorted.
DROP INDEX conversation_members_inbox;
CREATE INDEX conversation_members_inbox ON conversation_members (person_id, archived, last_message_at, conversation_id);

DROP FUNCTION IF EXISTS erase_contact_audit(uuid, text);

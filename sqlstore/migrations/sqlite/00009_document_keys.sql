-- +goose Up
-- The daily sweep of orphan files asks which storage keys documents refer
-- to, 500 at a time: an index keeps that from reading every document.
CREATE INDEX application_documents_storage_key ON application_documents (storage_key);

-- +goose Down
DROP INDEX application_documents_storage_key;

DROP TABLE document_versions;
DROP TABLE offering_documents;
ALTER TABLE subscriptions DROP COLUMN documents_revision;
ALTER TABLE offerings DROP COLUMN documents_revision;
DROP TABLE stored_file_chunks;
DROP TABLE stored_files;

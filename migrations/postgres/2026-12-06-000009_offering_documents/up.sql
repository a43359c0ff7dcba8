-- Offering documents. A file's bytes are kept as fixed-size chunks, each
-- with its own SHA-256, so that an upload and a download stream (no whole
-- file is ever held in memory) and a download checks every chunk, ranges
-- included, before sending it. `storage` says where the bytes are: in
-- `stored_file_chunks.bytes` ('database'), or in the object store under the
-- file's id ('object_store', the chunks keeping only their hashes).
-- A file is written before the document version that names it, in small
-- transactions of its own; one left incomplete or unnamed (a dropped
-- upload) is removed by the retention job.
CREATE TABLE stored_files (
    id TEXT PRIMARY KEY,
    storage TEXT NOT NULL CHECK (storage IN ('database', 'object_store')),
    chunk_size INTEGER NOT NULL CHECK (chunk_size > 0),
    size BIGINT NOT NULL DEFAULT 0 CHECK (size >= 0),
    sha256 TEXT,
    created_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP,
    CHECK ((completed_at IS NULL) = (sha256 IS NULL))
);
CREATE INDEX stored_files_incomplete_idx ON stored_files (created_at) WHERE completed_at IS NULL;

CREATE TABLE stored_file_chunks (
    file_id TEXT NOT NULL REFERENCES stored_files (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL CHECK (seq >= 0),
    size INTEGER NOT NULL CHECK (size > 0),
    sha256 TEXT NOT NULL,
    bytes BYTEA,
    PRIMARY KEY (file_id, seq)
);

-- A document of an offering, and its versions: a new upload is a new
-- version, never an overwrite. `documents_revision` counts the versions
-- published on the offering; a subscription records the count when it was
-- made, and so which version of each document was in force.
ALTER TABLE offerings ADD COLUMN documents_revision BIGINT NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN documents_revision BIGINT NOT NULL DEFAULT 0;

CREATE TABLE offering_documents (
    id TEXT PRIMARY KEY,
    offering_id TEXT NOT NULL REFERENCES offerings (id),
    kind TEXT NOT NULL CHECK (kind IN ('offering_memorandum', 'financial_statements',
        'pitch_deck', 'subscription_agreement', 'other')),
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'investors')),
    current_version INTEGER NOT NULL CHECK (current_version >= 1),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX offering_documents_offering_idx ON offering_documents (offering_id, id);

CREATE TABLE document_versions (
    document_id TEXT NOT NULL REFERENCES offering_documents (id),
    version INTEGER NOT NULL CHECK (version >= 1),
    file_id TEXT NOT NULL UNIQUE REFERENCES stored_files (id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL CHECK (content_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    size BIGINT NOT NULL CHECK (size > 0),
    sha256 TEXT NOT NULL,
    -- The offering's documents_revision this version began.
    offering_revision BIGINT NOT NULL,
    -- Published after the offering was approved.
    amendment BOOLEAN NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (document_id, version)
);
CREATE INDEX document_versions_revision_idx ON document_versions (document_id, offering_revision);

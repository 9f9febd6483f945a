-- What reading each Terraform file yielded, by a hash of the file's name
-- and content (opaque values written by iac/terraform), so that reading a
-- workspace's code parses only the files that changed. used_at is when an
-- entry was last stored or read (Unix nanoseconds); entries unused for 30
-- days are removed.

-- +goose Up
CREATE TABLE code_cache (
    hash    TEXT    NOT NULL PRIMARY KEY,
    data    BLOB    NOT NULL,
    used_at INTEGER NOT NULL
) STRICT;
CREATE INDEX code_cache_used_at ON code_cache (used_at);

-- +goose Down
DROP TABLE code_cache;

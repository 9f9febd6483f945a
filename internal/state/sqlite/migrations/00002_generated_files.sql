-- What the last code generation wrote to each workspace file: the base of
-- the three-way merge that keeps a person's hand edits.

-- +goose Up
CREATE TABLE generated_files (
    path         TEXT    NOT NULL PRIMARY KEY,
    sha256       TEXT    NOT NULL,
    content      BLOB    NOT NULL,
    generated_at INTEGER NOT NULL
) STRICT;

-- +goose Down
DROP TABLE generated_files;

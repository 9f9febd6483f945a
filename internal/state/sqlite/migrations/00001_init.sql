-- The proxmox-mpc state schema. Times are unix nanoseconds (UTC) in
-- INTEGER columns; JSON documents (tags, config, agent IPs, content types,
-- operation params) are TEXT. Tables are STRICT so a wrong type is an
-- error, not a silent conversion.

-- +goose Up
CREATE TABLE clusters (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    endpoint    TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    version     TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE nodes (
    name              TEXT    NOT NULL PRIMARY KEY,
    status            TEXT    NOT NULL,
    cpus              INTEGER NOT NULL,
    cpu_usage         REAL    NOT NULL,
    memory_bytes      INTEGER NOT NULL,
    memory_used_bytes INTEGER NOT NULL,
    disk_bytes        INTEGER NOT NULL,
    disk_used_bytes   INTEGER NOT NULL,
    uptime_seconds    INTEGER NOT NULL,
    ssl_fingerprint   TEXT    NOT NULL
) STRICT;

CREATE TABLE guests (
    vmid              INTEGER NOT NULL PRIMARY KEY,
    type              TEXT    NOT NULL,
    node              TEXT    NOT NULL,
    name              TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    tags              TEXT    NOT NULL, -- JSON array
    pool              TEXT    NOT NULL,
    template          INTEGER NOT NULL,
    ha_state          TEXT    NOT NULL,
    lock              TEXT    NOT NULL,
    cpus              REAL    NOT NULL,
    memory_bytes      INTEGER NOT NULL,
    disk_bytes        INTEGER NOT NULL,
    config            TEXT    NOT NULL, -- JSON object
    digest            TEXT    NOT NULL,
    agent_ips         TEXT    NOT NULL, -- JSON array
    first_seen        INTEGER NOT NULL,
    last_seen         INTEGER NOT NULL,
    removed_at        INTEGER,
    uptime_seconds    INTEGER NOT NULL,
    memory_used_bytes INTEGER NOT NULL
) STRICT;
CREATE INDEX guests_name ON guests (name);

CREATE TABLE storages (
    node        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    content     TEXT    NOT NULL, -- JSON array
    shared      INTEGER NOT NULL,
    status      TEXT    NOT NULL,
    used_bytes  INTEGER NOT NULL,
    total_bytes INTEGER NOT NULL,
    PRIMARY KEY (node, name)
) STRICT;

CREATE TABLE networks (
    node       TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    cidr       TEXT    NOT NULL,
    gateway    TEXT    NOT NULL,
    ports      TEXT    NOT NULL,
    vlan_aware INTEGER NOT NULL,
    active     INTEGER NOT NULL,
    PRIMARY KEY (node, name)
) STRICT;

-- templates (vztmpl) and ISO images
CREATE TABLE volumes (
    node       TEXT    NOT NULL, -- '' for shared storage
    storage    TEXT    NOT NULL,
    volid      TEXT    NOT NULL,
    content    TEXT    NOT NULL,
    size_bytes INTEGER NOT NULL,
    PRIMARY KEY (node, storage, volid)
) STRICT;

CREATE TABLE snapshots (
    vmid        INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    parent      TEXT    NOT NULL,
    description TEXT    NOT NULL,
    time        INTEGER,
    vmstate     INTEGER NOT NULL,
    PRIMARY KEY (vmid, name)
) STRICT;

CREATE TABLE sync_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    outcome     TEXT    NOT NULL,
    error       TEXT    NOT NULL DEFAULT '',
    added       INTEGER NOT NULL DEFAULT 0,
    changed     INTEGER NOT NULL DEFAULT 0,
    removed     INTEGER NOT NULL DEFAULT 0,
    unchanged   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX sync_runs_outcome ON sync_runs (outcome, id);

CREATE TABLE resource_history (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    sync_id       INTEGER NOT NULL REFERENCES sync_runs (id),
    at            INTEGER NOT NULL,
    resource_type TEXT    NOT NULL,
    resource_key  TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    field         TEXT    NOT NULL,
    old           TEXT    NOT NULL,
    new           TEXT    NOT NULL
) STRICT;
CREATE INDEX resource_history_key ON resource_history (resource_key, at, id);
CREATE INDEX resource_history_sync ON resource_history (sync_id);

-- the audit journal
CREATE TABLE operations (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at     INTEGER NOT NULL,
    finished_at    INTEGER,
    os_user        TEXT    NOT NULL,
    api_identity   TEXT    NOT NULL,
    action         TEXT    NOT NULL,
    target         TEXT    NOT NULL,
    params         TEXT    NOT NULL, -- JSON object or null
    upid           TEXT    NOT NULL,
    outcome        TEXT    NOT NULL,
    error          TEXT    NOT NULL,
    duration_ms    INTEGER NOT NULL,
    correlation_id TEXT    NOT NULL
) STRICT;
CREATE INDEX operations_started ON operations (started_at, id);
CREATE INDEX operations_correlation ON operations (correlation_id);

-- +goose Down
DROP TABLE operations;
DROP TABLE resource_history;
DROP TABLE sync_runs;
DROP TABLE snapshots;
DROP TABLE volumes;
DROP TABLE networks;
DROP TABLE storages;
DROP TABLE guests;
DROP TABLE nodes;
DROP TABLE clusters;

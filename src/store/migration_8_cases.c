/* migration_8_cases.c — schema step 8: joint incident cases.
 *
 * Why it looks like this:
 * - cases have an INTEGER seq like events: the child tables point at it (8
 *   bytes, not 36) and lists page by it.
 * - The milestone times (acknowledged_at, ...) are columns, not derived from
 *   the transitions at read time, so the response metrics are one scan.
 * - The timeline and the transitions are the record of who did what and
 *   when: triggers RAISE on any UPDATE or DELETE, so not even a bug in the
 *   node (or someone with the SQLite shell and no care) can rewrite them
 *   quietly. A correction is a new entry that names the one it corrects.
 *   For the same reason they have no ON DELETE CASCADE: cases are never
 *   deleted, only closed.
 * - Links name events, indicators and sightings by id without foreign keys:
 *   a linked event may be deleted later and the case keeps its history.
 */
#include "store_int.h"

#define KZ_APPEND_ONLY(t)                                                                          \
    "CREATE TRIGGER " t "_no_update BEFORE UPDATE ON " t " BEGIN"                                  \
    " SELECT RAISE(ABORT, '" t " is append-only: add a correction instead'); END;"                 \
    "CREATE TRIGGER " t "_no_delete BEFORE DELETE ON " t " BEGIN"                                  \
    " SELECT RAISE(ABORT, '" t " is append-only: add a correction instead'); END;"

const char kz__migration_8_cases[] =
    "CREATE TABLE cases("
    " seq INTEGER PRIMARY KEY,"
    " id TEXT NOT NULL UNIQUE,"
    " title TEXT NOT NULL,"
    " description TEXT,"
    " severity INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 4),"
    " tlp INTEGER NOT NULL CHECK (tlp BETWEEN 0 AND 4),"
    " pap INTEGER NOT NULL CHECK (pap BETWEEN 0 AND 3),"
    " category TEXT NOT NULL,"
    " subtype TEXT NOT NULL,"
    " status TEXT NOT NULL,"
    " lead_org TEXT NOT NULL REFERENCES orgs(id),"
    " creator_user TEXT NOT NULL DEFAULT '',"
    " drill INTEGER NOT NULL DEFAULT 0,"
    " created INTEGER NOT NULL, modified INTEGER NOT NULL,"
    " acknowledged_at INTEGER NOT NULL DEFAULT 0,"
    " contained_at INTEGER NOT NULL DEFAULT 0,"
    " resolved_at INTEGER NOT NULL DEFAULT 0,"
    " closed_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX cases_lead ON cases(lead_org);"

    "CREATE TABLE case_participants("
    " case_ref INTEGER NOT NULL REFERENCES cases(seq),"
    " org_id TEXT NOT NULL REFERENCES orgs(id),"
    " state TEXT NOT NULL CHECK (state IN ('invited', 'accepted', 'declined')),"
    " invited_at INTEGER NOT NULL,"
    " invited_by TEXT NOT NULL DEFAULT '',"
    " answered_at INTEGER NOT NULL DEFAULT 0,"
    " answered_by TEXT NOT NULL DEFAULT '',"
    " pos INTEGER NOT NULL,"
    " PRIMARY KEY (case_ref, org_id)) WITHOUT ROWID;"
    "CREATE INDEX case_participants_org ON case_participants(org_id, state);"

    "CREATE TABLE case_links("
    " case_ref INTEGER NOT NULL REFERENCES cases(seq),"
    " kind TEXT NOT NULL CHECK (kind IN ('event', 'indicator', 'sighting')),"
    " object_id TEXT NOT NULL,"
    " org_id TEXT NOT NULL DEFAULT '',"
    " user_id TEXT NOT NULL DEFAULT '',"
    " added INTEGER NOT NULL,"
    " PRIMARY KEY (case_ref, kind, object_id)) WITHOUT ROWID;"

    "CREATE TABLE case_tasks("
    " seq INTEGER PRIMARY KEY,"
    " id TEXT NOT NULL UNIQUE,"
    " case_ref INTEGER NOT NULL REFERENCES cases(seq),"
    " title TEXT NOT NULL,"
    " description TEXT,"
    " org_id TEXT NOT NULL REFERENCES orgs(id),"
    " user_id TEXT NOT NULL DEFAULT '',"
    " due INTEGER NOT NULL DEFAULT 0,"
    " status TEXT NOT NULL CHECK (status IN ('waiting', 'in_progress', 'done', 'cancelled')),"
    " created_by TEXT NOT NULL DEFAULT '',"
    " created INTEGER NOT NULL, modified INTEGER NOT NULL);"
    "CREATE INDEX case_tasks_case ON case_tasks(case_ref);"
    "CREATE INDEX case_tasks_due ON case_tasks(due) WHERE due > 0"
    " AND status IN ('waiting', 'in_progress');"

    "CREATE TABLE case_timeline("
    " seq INTEGER PRIMARY KEY,"
    " id TEXT NOT NULL UNIQUE,"
    " case_ref INTEGER NOT NULL REFERENCES cases(seq),"
    " kind TEXT NOT NULL CHECK (kind IN ('comment', 'action', 'correction')),"
    " text TEXT NOT NULL,"
    " corrects TEXT REFERENCES case_timeline(id),"
    " tlp INTEGER CHECK (tlp BETWEEN 0 AND 4),"
    " org_id TEXT NOT NULL DEFAULT '',"
    " user_id TEXT NOT NULL DEFAULT '',"
    " at INTEGER NOT NULL,"
    " CHECK ((kind = 'correction') = (corrects IS NOT NULL)));"
    "CREATE INDEX case_timeline_case ON case_timeline(case_ref, seq);" KZ_APPEND_ONLY(
        "case_timeline")

        "CREATE TABLE case_transitions("
        " seq INTEGER PRIMARY KEY,"
        " case_ref INTEGER NOT NULL REFERENCES cases(seq),"
        " from_status TEXT NOT NULL,"
        " to_status TEXT NOT NULL,"
        " reopen INTEGER NOT NULL DEFAULT 0,"
        " note TEXT,"
        " org_id TEXT NOT NULL DEFAULT '',"
        " user_id TEXT NOT NULL DEFAULT '',"
        " at INTEGER NOT NULL);"
        "CREATE INDEX case_transitions_case ON case_transitions(case_ref, seq);" KZ_APPEND_ONLY(
            "case_transitions")

            "CREATE TABLE case_injects("
            " seq INTEGER PRIMARY KEY,"
            " id TEXT NOT NULL UNIQUE,"
            " case_ref INTEGER NOT NULL REFERENCES cases(seq),"
            " at INTEGER NOT NULL,"
            " text TEXT NOT NULL,"
            " delivered INTEGER NOT NULL DEFAULT 0,"
            " delivered_at INTEGER NOT NULL DEFAULT 0,"
            " created_by TEXT NOT NULL DEFAULT '',"
            " created INTEGER NOT NULL);"
            "CREATE INDEX case_injects_case ON case_injects(case_ref, at);"

            "CREATE TABLE case_observables("
            " seq INTEGER PRIMARY KEY,"
            " id TEXT NOT NULL UNIQUE,"
            " case_ref INTEGER NOT NULL REFERENCES cases(seq),"
            " type TEXT NOT NULL,"
            " value TEXT NOT NULL,"
            " comment TEXT,"
            " org_id TEXT NOT NULL DEFAULT '',"
            " user_id TEXT NOT NULL DEFAULT '',"
            " added INTEGER NOT NULL,"
            " indicator_id TEXT NOT NULL DEFAULT '',"
            " UNIQUE (case_ref, type, value));";

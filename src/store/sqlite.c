/* The SQLite event store: WAL journal, schema versions in PRAGMA user_version with migrations
 * applied in order, prepared statements, one transaction per batch, and hourly summaries (per
 * site, camera and rule; and per rule over everything) kept in the same transaction, so the
 * dashboard's counts never scan the events. */
#include <inttypes.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/json_escape.h"
#include "crosswatch/detection.h"
#include "crosswatch/error.h"
#include "crosswatch/hash.h"
#include "crosswatch/light.h"
#include "crosswatch/log.h"
#include "store/backend.h"

#define MOD        "store"
#define RECORD_MAX 8192

struct sqlite_store;
static int step_done(struct sqlite_store *s, sqlite3_stmt *q, const char *doing);

/* Migration k takes the schema from version k to k + 1. Append; never edit a released one. */
static const char *const migrations[] = {
    /* 0 → 1: events, their indexes for the dashboard's queries, the hourly counts */
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY,"
    "  site TEXT NOT NULL, camera TEXT NOT NULL, rule TEXT NOT NULL,"
    "  class TEXT NOT NULL, track INTEGER NOT NULL,"
    "  first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL,"
    "  ground_x0 REAL, ground_y0 REAL, ground_x1 REAL, ground_y1 REAL,"
    "  box_x REAL, box_y REAL, box_w REAL, box_h REAL,"
    "  speed_mps REAL, signal TEXT NOT NULL, signal_age_s REAL, confidence REAL,"
    "  evidence TEXT NOT NULL DEFAULT '',"
    "  review TEXT NOT NULL DEFAULT 'pending');"
    "CREATE INDEX events_time ON events(first_ms);"
    "CREATE INDEX events_site_time ON events(site, first_ms);"
    "CREATE INDEX events_rule_time ON events(rule, first_ms);"
    "CREATE TABLE hourly ("
    "  hour_ms INTEGER NOT NULL, site TEXT NOT NULL, camera TEXT NOT NULL, rule TEXT NOT NULL,"
    "  violations INTEGER NOT NULL DEFAULT 0, compliant INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (hour_ms, site, camera, rule)) WITHOUT ROWID;"
    "CREATE INDEX hourly_site ON hourly(site, hour_ms);"
    "CREATE TABLE hourly_all ("
    "  hour_ms INTEGER NOT NULL, rule TEXT NOT NULL,"
    "  violations INTEGER NOT NULL DEFAULT 0, compliant INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (hour_ms, rule)) WITHOUT ROWID;",
    /* 1 → 2: the chain that seals events and their evidence (see cw_store_verify), and where an
     * event's evidence stands */
    "CREATE TABLE chain ("
    "  seq INTEGER PRIMARY KEY, event_id INTEGER NOT NULL, kind TEXT NOT NULL,"
    "  record TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE INDEX chain_event ON chain(event_id);"
    "ALTER TABLE events ADD COLUMN evidence_status TEXT NOT NULL DEFAULT '';",
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(*migrations)))

struct sqlite_store {
    struct cw_store base;
    sqlite3 *db;
    char *path;
    int version;
    sqlite3_stmt *insert, *count, *count_all, *pass, *pass_all, *hourly, *hourly_all, *events;
    sqlite3_stmt *link, *set_evidence;
    char last_hash[CW_SHA256_HEX]; /* the chain's last link ("" when empty) */
};

/* One line naming the store and, for the errors a user can fix, how. */
static int fail(struct sqlite_store *s, const char *doing, int rc)
{
    const char *hint = "";
    int err = CW_EIO;
    switch (rc & 0xff) {
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN:
        hint = "; check that the file and its folder are writable (WAL keeps files beside it)";
        err = CW_EPERM;
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        hint = "; another process holds it locked (raise busy_timeout_ms or stop the other "
               "writer)";
        err = CW_EBUSY;
        break;
    case SQLITE_FULL:
        hint = "; the disk is full";
        err = CW_ENOSPC;
        break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        hint = "; the file is not a crosswatch database or is damaged";
        err = CW_EFORMAT;
        break;
    }
    cw_log_error(MOD, "store '%s': %s: %s%s", s->path, doing,
                 s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc), hint);
    return err;
}

static int exec(struct sqlite_store *s, const char *sql, const char *doing)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : fail(s, doing, rc);
}

static void st_close(struct cw_store *base)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    sqlite3_finalize(s->insert);
    sqlite3_finalize(s->count);
    sqlite3_finalize(s->count_all);
    sqlite3_finalize(s->pass);
    sqlite3_finalize(s->pass_all);
    sqlite3_finalize(s->hourly);
    sqlite3_finalize(s->hourly_all);
    sqlite3_finalize(s->events);
    sqlite3_finalize(s->link);
    sqlite3_finalize(s->set_evidence);
    sqlite3_close(s->db);
    free(s->path);
    free(s);
}

static int migrate(struct sqlite_store *s)
{
    sqlite3_stmt *q;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL);
    if (rc != SQLITE_OK)
        return fail(s, "reading the schema version", rc);
    rc = sqlite3_step(q);
    s->version = rc == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW)
        return fail(s, "reading the schema version", rc);
    if (s->version > SCHEMA_VERSION) {
        cw_log_error(MOD,
                     "store '%s': schema version %d was written by a newer crosswatch (this "
                     "one knows %d); upgrade crosswatch",
                     s->path, s->version, SCHEMA_VERSION);
        return CW_EUNSUPPORTED;
    }
    if (s->version == SCHEMA_VERSION)
        return 0;
    int err = exec(s, "BEGIN IMMEDIATE", "starting the schema migration");
    if (err)
        return err;
    for (int v = s->version; v < SCHEMA_VERSION; v++) {
        char sql[64], doing[64];
        snprintf(doing, sizeof(doing), "migrating the schema to version %d", v + 1);
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
        if ((err = exec(s, migrations[v], doing)) || (err = exec(s, sql, doing))) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return err;
        }
    }
    if ((err = exec(s, "COMMIT", "committing the schema migration"))) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return err;
    }
    if (s->version)
        cw_log_info(MOD, "store '%s': schema migrated from version %d to %d", s->path, s->version,
                    SCHEMA_VERSION);
    s->version = SCHEMA_VERSION;
    return 0;
}

static int prepare(struct sqlite_store *s, const char *sql, sqlite3_stmt **out)
{
    int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
    return rc == SQLITE_OK ? 0 : fail(s, "preparing a statement", rc);
}

/* ---- the chain: each link seals a record (an event as stored, or its evidence manifest) with
 * the hash of the link before it, so removing, reordering or altering anything breaks it ---- */

static int load_last_hash(struct sqlite_store *s)
{
    sqlite3_stmt *q;
    int rc =
        sqlite3_prepare_v2(s->db, "SELECT hash FROM chain ORDER BY seq DESC LIMIT 1", -1, &q, NULL);
    if (rc != SQLITE_OK)
        return fail(s, "reading the chain", rc);
    s->last_hash[0] = 0;
    if ((rc = sqlite3_step(q)) == SQLITE_ROW)
        snprintf(s->last_hash, sizeof(s->last_hash), "%s", (const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(s, "reading the chain", rc);
}

/* hash = SHA-256 of "<prev>\n<record>" */
static void link_hash(const char *prev, const char *record, char out[CW_SHA256_HEX])
{
    size_t lp = strlen(prev), lr = strlen(record);
    char buf[CW_SHA256_HEX + RECORD_MAX + 2];
    if (lp + lr + 1 < sizeof(buf)) {
        memcpy(buf, prev, lp);
        buf[lp] = '\n';
        memcpy(buf + lp + 1, record, lr);
        cw_sha256_hex(buf, lp + lr + 1, out);
    } else {
        cw_sha256_hex(record, lr, out); /* cannot happen: records are bounded */
    }
}

/* The sealed form of an event: its stored fields (not the evidence, which its own link seals). */
static int event_record(char *buf, size_t cap, int64_t id, const char *site, const char *camera,
                        const char *rule, const char *cls, int64_t track, int64_t first_ms,
                        int64_t last_ms, const double g[4], const double box[4], double speed,
                        const char *signal, double signal_age, double confidence)
{
    char es[3][2 * CW_EVENT_ID_MAX];
    cw__json_escape(es[0], sizeof(es[0]), site);
    cw__json_escape(es[1], sizeof(es[1]), camera);
    cw__json_escape(es[2], sizeof(es[2]), rule);
    int n = snprintf(buf, cap,
                     "{\"id\":%" PRId64 ",\"site\":\"%s\",\"camera\":\"%s\",\"rule\":\"%s\","
                     "\"class\":\"%s\",\"track\":%" PRId64 ",\"first_ms\":%" PRId64
                     ",\"last_ms\":%" PRId64 ",\"ground\":[%.17g,%.17g,%.17g,%.17g],"
                     "\"box\":[%.17g,%.17g,%.17g,%.17g],\"speed_mps\":%.17g,\"signal\":\"%s\","
                     "\"signal_age_s\":%.17g,\"confidence\":%.17g}",
                     id, es[0], es[1], es[2], cls, track, first_ms, last_ms, g[0], g[1], g[2], g[3],
                     box[0], box[1], box[2], box[3], speed, signal, signal_age, confidence);
    return n > 0 && (size_t)n < cap ? 0 : CW_EINVAL;
}

/* Appends a link for @event_id inside the caller's transaction; *@hash_out (when not NULL) gets
 * its hash, which becomes the chain's last only when the caller commits. */
static int add_link(struct sqlite_store *s, const char *prev, int64_t event_id, const char *kind,
                    const char *record, char hash_out[CW_SHA256_HEX])
{
    char before[CW_SHA256_HEX];
    snprintf(before, sizeof(before), "%s", prev); /* @prev may be @hash_out */
    link_hash(before, record, hash_out);
    sqlite3_bind_int64(s->link, 1, event_id);
    sqlite3_bind_text(s->link, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(s->link, 3, record, -1, SQLITE_STATIC);
    sqlite3_bind_text(s->link, 4, before, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s->link, 5, hash_out, -1, SQLITE_STATIC);
    return step_done(s, s->link, "sealing an event in the chain");
}

static struct cw_store *st_open(const char *path, const struct cw_store_config *cfg)
{
    struct sqlite_store *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->base.be = &cw__store_sqlite;
    s->path = strdup(path);
    if (!s->path)
        goto out_free;
    int rc = sqlite3_open_v2(
        path, &s->db,
        cfg->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        fail(s, "cannot open", rc);
        goto out_free;
    }
    sqlite3_busy_timeout(s->db, cfg->busy_timeout_ms);
    sqlite3_extended_result_codes(s->db, 1);
    if (cfg->read_only) {
        sqlite3_stmt *v;
        rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &v, NULL);
        if (rc == SQLITE_OK && (rc = sqlite3_step(v)) == SQLITE_ROW)
            s->version = sqlite3_column_int(v, 0);
        sqlite3_finalize(v);
        if (rc != SQLITE_ROW) {
            fail(s, "reading the schema version", rc);
            goto out_free;
        }
        if (s->version != SCHEMA_VERSION) {
            cw_log_error(MOD, "store '%s': schema version %d, this crosswatch reads %d only; %s",
                         path, s->version, SCHEMA_VERSION,
                         s->version < SCHEMA_VERSION
                             ? "open it once with analyze or run to migrate it"
                             : "upgrade crosswatch");
            goto out_free;
        }
        if (load_last_hash(s) ||
            prepare(s, "SELECT 1", &s->insert)) /* the statements verify needs are its own */
            goto out_free;
        return &s->base;
    }
    /* WAL: readers (the dashboard) never block the writer; check it took, since a read-only
     * folder silently keeps the old journal */
    sqlite3_stmt *q;
    rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &q, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW &&
        strcmp((const char *)sqlite3_column_text(q, 0), "wal")) {
        cw_log_error(MOD,
                     "store '%s': cannot switch to WAL journal (got '%s'); check that its "
                     "folder is writable",
                     path, (const char *)sqlite3_column_text(q, 0));
        sqlite3_finalize(q);
        goto out_free;
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW) {
        fail(s, "cannot set up the journal", rc);
        goto out_free;
    }
    if (exec(s, cfg->durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
             "setting synchronous") ||
        migrate(s) || load_last_hash(s))
        goto out_free;
    if (prepare(s,
                "INSERT INTO events (site, camera, rule, class, track, first_ms, last_ms, "
                "ground_x0, ground_y0, ground_x1, ground_y1, box_x, box_y, box_w, box_h, "
                "speed_mps, signal, signal_age_s, confidence, evidence) VALUES "
                "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                &s->insert) ||
        prepare(s,
                "INSERT INTO hourly (hour_ms, site, camera, rule, violations) VALUES (?,?,?,?,1) "
                "ON CONFLICT DO UPDATE SET violations = violations + 1",
                &s->count) ||
        prepare(s,
                "INSERT INTO hourly (hour_ms, site, camera, rule, compliant) VALUES (?,?,?,?,1) "
                "ON CONFLICT DO UPDATE SET compliant = compliant + 1",
                &s->pass) ||
        prepare(s,
                "INSERT INTO hourly_all (hour_ms, rule, violations) VALUES (?,?,1) "
                "ON CONFLICT DO UPDATE SET violations = violations + 1",
                &s->count_all) ||
        prepare(s,
                "INSERT INTO hourly_all (hour_ms, rule, compliant) VALUES (?,?,1) "
                "ON CONFLICT DO UPDATE SET compliant = compliant + 1",
                &s->pass_all) ||
        prepare(s,
                "SELECT site, camera, rule, hour_ms, violations, compliant FROM hourly "
                "WHERE site = ?3 AND hour_ms >= ?1 AND hour_ms < ?2 "
                "ORDER BY hour_ms, rule, camera",
                &s->hourly) ||
        prepare(s,
                "SELECT rule, hour_ms, violations, compliant FROM hourly_all "
                "WHERE hour_ms >= ? AND hour_ms < ? ORDER BY hour_ms, rule",
                &s->hourly_all) ||
        prepare(s,
                "SELECT id, site, camera, rule, class, track, first_ms, last_ms, ground_x0, "
                "ground_y0, ground_x1, ground_y1, box_x, box_y, box_w, box_h, speed_mps, signal, "
                "signal_age_s, confidence, evidence FROM events WHERE first_ms >= ?1 AND "
                "first_ms < ?2 AND (?3 IS NULL OR rule = ?3) AND (?4 IS NULL OR site = ?4) "
                "ORDER BY first_ms DESC LIMIT ?5",
                &s->events) ||
        prepare(s, "INSERT INTO chain (event_id, kind, record, prev, hash) VALUES (?,?,?,?,?)",
                &s->link) ||
        prepare(s, "UPDATE events SET evidence = ?2, evidence_status = ?3 WHERE id = ?1",
                &s->set_evidence))
        goto out_free;
    return &s->base;
out_free:
    st_close(&s->base);
    return NULL;
}

static int st_version(const struct cw_store *base)
{
    return ((const struct sqlite_store *)base)->version;
}

static int64_t hour_of(int64_t ms)
{
    return ms - ((ms % 3600000) + 3600000) % 3600000;
}

static int step_done(struct sqlite_store *s, sqlite3_stmt *q, const char *doing)
{
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? 0 : fail(s, doing, rc);
}

static void bind_key(sqlite3_stmt *q, int64_t t_ms, const char *site, const char *camera,
                     const char *rule)
{
    sqlite3_bind_int64(q, 1, hour_of(t_ms));
    sqlite3_bind_text(q, 2, site, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, camera, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, rule, -1, SQLITE_STATIC);
}

static int st_write(struct cw_store *base, struct cw_event *ev, int n)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    char hash[CW_SHA256_HEX];
    int err = exec(s, "BEGIN IMMEDIATE", "starting to write events");
    if (err)
        return err;
    /* another writer may have added links since: continue from the chain as it is now */
    if ((err = load_last_hash(s)))
        goto out_rollback;
    memcpy(hash, s->last_hash, sizeof(hash));
    for (int i = 0; i < n; i++) {
        struct cw_event *e = &ev[i];
        sqlite3_stmt *q = s->insert;
        sqlite3_bind_text(q, 1, e->site, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, e->camera, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, e->rule, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, cw_class_name(e->cls), -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 5, e->track);
        sqlite3_bind_int64(q, 6, e->first_ms);
        sqlite3_bind_int64(q, 7, e->last_ms);
        sqlite3_bind_double(q, 8, e->ground_first.x);
        sqlite3_bind_double(q, 9, e->ground_first.y);
        sqlite3_bind_double(q, 10, e->ground_last.x);
        sqlite3_bind_double(q, 11, e->ground_last.y);
        sqlite3_bind_double(q, 12, e->box.x);
        sqlite3_bind_double(q, 13, e->box.y);
        sqlite3_bind_double(q, 14, e->box.w);
        sqlite3_bind_double(q, 15, e->box.h);
        sqlite3_bind_double(q, 16, e->speed_mps);
        sqlite3_bind_text(q, 17, cw_light_name(e->signal_state), -1, SQLITE_STATIC);
        sqlite3_bind_double(q, 18, e->signal_age_s);
        sqlite3_bind_double(q, 19, e->confidence);
        sqlite3_bind_text(q, 20, e->evidence, -1, SQLITE_STATIC);
        if ((err = step_done(s, q, "writing an event")))
            goto out_rollback;
        e->id = sqlite3_last_insert_rowid(s->db); /* the chain's insert comes next */
        char record[RECORD_MAX];
        double g[4] = {e->ground_first.x, e->ground_first.y, e->ground_last.x, e->ground_last.y};
        double box[4] = {e->box.x, e->box.y, e->box.w, e->box.h};
        if ((err = event_record(record, sizeof(record), e->id, e->site, e->camera, e->rule,
                                cw_class_name(e->cls), e->track, e->first_ms, e->last_ms, g, box,
                                e->speed_mps, cw_light_name(e->signal_state), e->signal_age_s,
                                e->confidence)) ||
            (err = add_link(s, hash, e->id, "event", record, hash)))
            goto out_rollback;
        bind_key(s->count, e->first_ms, e->site, e->camera, e->rule);
        if ((err = step_done(s, s->count, "counting an event")))
            goto out_rollback;
        sqlite3_bind_int64(s->count_all, 1, hour_of(e->first_ms));
        sqlite3_bind_text(s->count_all, 2, e->rule, -1, SQLITE_STATIC);
        if ((err = step_done(s, s->count_all, "counting an event")))
            goto out_rollback;
    }
    if ((err = exec(s, "COMMIT", "committing events")))
        goto out_rollback;
    memcpy(s->last_hash, hash, sizeof(hash));
    return 0;
out_rollback:
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    for (int i = 0; i < n; i++)
        ev[i].id = 0; /* nothing was written */
    return err;
}

static int st_passages(struct cw_store *base, const struct cw_passage *p, int n)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    int err = exec(s, "BEGIN IMMEDIATE", "starting to count passages");
    if (err)
        return err;
    for (int i = 0; i < n; i++) {
        bind_key(s->pass, p[i].t_ms, p[i].site, p[i].camera, p[i].rule);
        if ((err = step_done(s, s->pass, "counting a passage")))
            goto out_rollback;
        sqlite3_bind_int64(s->pass_all, 1, hour_of(p[i].t_ms));
        sqlite3_bind_text(s->pass_all, 2, p[i].rule, -1, SQLITE_STATIC);
        if ((err = step_done(s, s->pass_all, "counting a passage")))
            goto out_rollback;
    }
    if (!(err = exec(s, "COMMIT", "committing passages")))
        return 0;
out_rollback:
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return err;
}

static int st_hourly(struct cw_store *base, int64_t from_ms, int64_t to_ms, const char *site,
                     cw_hour_fn fn, void *opaque)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    sqlite3_stmt *q = site ? s->hourly : s->hourly_all;
    int rows = 0, rc;
    sqlite3_bind_int64(q, 1, hour_of(from_ms));
    sqlite3_bind_int64(q, 2, to_ms);
    if (site)
        sqlite3_bind_text(q, 3, site, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct cw_hour_count h;
        if (site)
            h = (struct cw_hour_count){(const char *)sqlite3_column_text(q, 0),
                                       (const char *)sqlite3_column_text(q, 1),
                                       (const char *)sqlite3_column_text(q, 2),
                                       sqlite3_column_int64(q, 3),
                                       sqlite3_column_int64(q, 4),
                                       sqlite3_column_int64(q, 5)};
        else
            h = (struct cw_hour_count){NULL,
                                       NULL,
                                       (const char *)sqlite3_column_text(q, 0),
                                       sqlite3_column_int64(q, 1),
                                       sqlite3_column_int64(q, 2),
                                       sqlite3_column_int64(q, 3)};
        fn(opaque, &h);
        rows++;
    }
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? rows : fail(s, "reading hourly counts", rc);
}

static void copy_text(char *dst, size_t cap, const unsigned char *src)
{
    snprintf(dst, cap, "%s", src ? (const char *)src : "");
}

static int st_events(struct cw_store *base, int64_t from_ms, int64_t to_ms, const char *rule,
                     const char *site, int limit, cw_event_fn fn, void *opaque)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    sqlite3_stmt *q = s->events;
    int rows = 0, rc;
    sqlite3_bind_int64(q, 1, from_ms);
    sqlite3_bind_int64(q, 2, to_ms);
    if (rule)
        sqlite3_bind_text(q, 3, rule, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, 3);
    if (site)
        sqlite3_bind_text(q, 4, site, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, 4);
    sqlite3_bind_int(q, 5, limit);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct cw_event e = {0};
        e.id = sqlite3_column_int64(q, 0);
        copy_text(e.site, sizeof(e.site), sqlite3_column_text(q, 1));
        copy_text(e.camera, sizeof(e.camera), sqlite3_column_text(q, 2));
        copy_text(e.rule, sizeof(e.rule), sqlite3_column_text(q, 3));
        int cls = cw_class_parse((const char *)sqlite3_column_text(q, 4));
        e.cls = cls < 0 ? CW_CLASS_UNKNOWN : cls;
        e.track = sqlite3_column_int64(q, 5);
        e.first_ms = sqlite3_column_int64(q, 6);
        e.last_ms = sqlite3_column_int64(q, 7);
        e.ground_first =
            (struct cw_point){sqlite3_column_double(q, 8), sqlite3_column_double(q, 9)};
        e.ground_last =
            (struct cw_point){sqlite3_column_double(q, 10), sqlite3_column_double(q, 11)};
        e.box = (struct cw_box){sqlite3_column_double(q, 12), sqlite3_column_double(q, 13),
                                sqlite3_column_double(q, 14), sqlite3_column_double(q, 15)};
        e.speed_mps = (float)sqlite3_column_double(q, 16);
        int sig = cw_light_parse((const char *)sqlite3_column_text(q, 17));
        e.signal_state = sig < 0 ? CW_LIGHT_UNKNOWN : sig;
        e.signal_age_s = (float)sqlite3_column_double(q, 18);
        e.confidence = (float)sqlite3_column_double(q, 19);
        copy_text(e.evidence, sizeof(e.evidence), sqlite3_column_text(q, 20));
        fn(opaque, &e);
        rows++;
    }
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc == SQLITE_DONE ? rows : fail(s, "reading events", rc);
}

static int st_set_evidence(struct cw_store *base, int64_t event_id, const char *dir,
                           const char *status, const char *manifest)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    char hash[CW_SHA256_HEX];
    if (strlen(manifest) >= RECORD_MAX) {
        cw_log_error(MOD, "store '%s': event %" PRId64 ": evidence manifest too long", s->path,
                     event_id);
        return CW_EINVAL;
    }
    int err = exec(s, "BEGIN IMMEDIATE", "starting to record evidence");
    if (err)
        return err;
    if ((err = load_last_hash(s)))
        goto out_rollback;
    sqlite3_bind_int64(s->set_evidence, 1, event_id);
    sqlite3_bind_text(s->set_evidence, 2, dir, -1, SQLITE_STATIC);
    sqlite3_bind_text(s->set_evidence, 3, status, -1, SQLITE_STATIC);
    if ((err = step_done(s, s->set_evidence, "recording evidence")) ||
        (*manifest && (err = add_link(s, s->last_hash, event_id, "evidence", manifest, hash))) ||
        (err = exec(s, "COMMIT", "committing evidence")))
        goto out_rollback;
    if (*manifest)
        memcpy(s->last_hash, hash, sizeof(hash));
    return 0;
out_rollback:
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return err;
}

/* ---- verification ---- */

struct verify {
    struct sqlite_store *s;
    const char *root;
    cw_verify_fn fn;
    void *opaque;
    int problems;
};

static void problem(struct verify *v, int64_t event_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void problem(struct verify *v, int64_t event_id, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    v->problems++;
    v->fn(v->opaque, event_id, msg);
}

/* The sealed form of the events row @id as it is now; CW_ENOENT when the row is gone. */
static int row_record(sqlite3_stmt *q, int64_t id, char *buf, size_t cap)
{
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q), err = CW_ENOENT;
    if (rc == SQLITE_ROW) {
        double g[4], box[4];
        for (int k = 0; k < 4; k++) {
            g[k] = sqlite3_column_double(q, 6 + k);
            box[k] = sqlite3_column_double(q, 10 + k);
        }
        err = event_record(buf, cap, id, (const char *)sqlite3_column_text(q, 0),
                           (const char *)sqlite3_column_text(q, 1),
                           (const char *)sqlite3_column_text(q, 2),
                           (const char *)sqlite3_column_text(q, 3), sqlite3_column_int64(q, 4),
                           sqlite3_column_int64(q, 5), sqlite3_column_int64(q, 14), g, box,
                           sqlite3_column_double(q, 15), (const char *)sqlite3_column_text(q, 16),
                           sqlite3_column_double(q, 17), sqlite3_column_double(q, 18));
    }
    sqlite3_reset(q);
    return err;
}

/* Checks the files an evidence manifest lists against their hashes. */
static void check_files(struct verify *v, int64_t id, const char *manifest)
{
    cJSON *m = cJSON_Parse(manifest);
    const cJSON *dir = cJSON_GetObjectItemCaseSensitive(m, "dir");
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(m, "files"), *f;
    if (!cJSON_IsString(dir) || !cJSON_IsArray(files)) {
        problem(v, id, "event %" PRId64 ": its evidence manifest is not readable", id);
        cJSON_Delete(m);
        return;
    }
    cJSON_ArrayForEach(f, files)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(f, "name");
        const cJSON *sha = cJSON_GetObjectItemCaseSensitive(f, "sha256");
        if (!cJSON_IsString(name) || !cJSON_IsString(sha))
            continue;
        char path[4096], hex[CW_SHA256_HEX];
        snprintf(path, sizeof(path), "%s/%s/%s", v->root, dir->valuestring, name->valuestring);
        int err = cw_sha256_file(path, hex);
        if (err == CW_ENOENT)
            problem(v, id, "event %" PRId64 ": evidence file %s/%s is missing", id,
                    dir->valuestring, name->valuestring);
        else if (err)
            problem(v, id, "event %" PRId64 ": evidence file %s/%s cannot be read", id,
                    dir->valuestring, name->valuestring);
        else if (strcmp(hex, sha->valuestring))
            problem(v, id, "event %" PRId64 ": evidence file %s/%s was changed (SHA-256 differs)",
                    id, dir->valuestring, name->valuestring);
    }
    cJSON_Delete(m);
}

static int st_verify(struct cw_store *base, const char *evidence_root, cw_verify_fn fn,
                     void *opaque, struct cw_verify_counts *counts)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    struct verify v = {s, evidence_root, fn, opaque, 0};
    sqlite3_stmt *links = NULL, *row = NULL, *loose = NULL, *status = NULL, *last_evidence = NULL;
    char prev[CW_SHA256_HEX] = "", hash[CW_SHA256_HEX], record[RECORD_MAX];
    int64_t last_seq = 0;
    int rc, err = 0;
    memset(counts, 0, sizeof(*counts));
    if ((err = prepare(s, "SELECT seq, event_id, kind, record, prev, hash FROM chain ORDER BY seq",
                       &links)) ||
        (err = prepare(s,
                       "SELECT site, camera, rule, class, track, first_ms, ground_x0, ground_y0, "
                       "ground_x1, ground_y1, box_x, box_y, box_w, box_h, last_ms, speed_mps, "
                       "signal, signal_age_s, confidence FROM events WHERE id = ?",
                       &row)) ||
        (err = prepare(s,
                       "SELECT id FROM events WHERE id NOT IN (SELECT event_id FROM chain WHERE "
                       "kind = 'event') ORDER BY id",
                       &loose)) ||
        (err = prepare(s,
                       "SELECT id, evidence_status FROM events WHERE evidence_status NOT IN "
                       "('', 'complete') AND evidence_status NOT LIKE 'deleted%' ORDER BY id",
                       &status)) ||
        (err = prepare(s, "SELECT MAX(seq) FROM chain WHERE kind = 'evidence' AND event_id = ?",
                       &last_evidence)))
        goto out;
    while ((rc = sqlite3_step(links)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(links, 0), id = sqlite3_column_int64(links, 1);
        const char *kind = (const char *)sqlite3_column_text(links, 2);
        const char *rec = (const char *)sqlite3_column_text(links, 3);
        const char *lprev = (const char *)sqlite3_column_text(links, 4);
        const char *lhash = (const char *)sqlite3_column_text(links, 5);
        counts->links++;
        if (seq == last_seq + 2)
            problem(&v, id, "chain: link %" PRId64 " was removed", seq - 1);
        else if (seq != last_seq + 1)
            problem(&v, id, "chain: links %" PRId64 "–%" PRId64 " were removed", last_seq + 1,
                    seq - 1);
        else if (strcmp(lprev, prev))
            problem(&v, id,
                    "chain: link %" PRId64 " (event %" PRId64 ") does not follow the one "
                    "before it: links were removed or reordered",
                    seq, id);
        link_hash(lprev, rec, hash);
        if (strcmp(hash, lhash))
            problem(&v, id, "chain: link %" PRId64 " (event %" PRId64 ", %s) was altered", seq, id,
                    kind);
        snprintf(prev, sizeof(prev), "%s", lhash);
        last_seq = seq;
        if (!strcmp(kind, "event")) {
            counts->events++;
            int e = row_record(row, id, record, sizeof(record));
            if (e == CW_ENOENT)
                problem(&v, id, "event %" PRId64 ": removed from the events table", id);
            else if (e || strcmp(record, rec))
                problem(&v, id, "event %" PRId64 ": altered in the events table", id);
        } else {
            /* only the latest manifest of an event stands (retention seals a deletion) */
            counts->evidence++;
            sqlite3_bind_int64(last_evidence, 1, id);
            bool latest = sqlite3_step(last_evidence) == SQLITE_ROW &&
                          sqlite3_column_int64(last_evidence, 0) == seq;
            sqlite3_reset(last_evidence);
            if (latest)
                check_files(&v, id, rec);
        }
    }
    if (rc != SQLITE_DONE) {
        err = fail(s, "reading the chain", rc);
        goto out;
    }
    while ((rc = sqlite3_step(loose)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(loose, 0);
        problem(&v, id, "event %" PRId64 ": not in the chain (added outside crosswatch?)", id);
    }
    while ((rc = sqlite3_step(status)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(status, 0);
        const char *st = (const char *)sqlite3_column_text(status, 1);
        counts->incomplete++;
        problem(&v, id, "event %" PRId64 ": evidence incomplete (%s)", id,
                !strcmp(st, "pending") ? "the process stopped before it was written" : st);
    }
out:
    sqlite3_finalize(links);
    sqlite3_finalize(row);
    sqlite3_finalize(loose);
    sqlite3_finalize(status);
    sqlite3_finalize(last_evidence);
    return err ? err : v.problems;
}

static int st_evidence_rows(struct cw_store *base, cw_evidence_row_fn fn, void *opaque)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    sqlite3_stmt *q;
    int n = 0, rc = sqlite3_prepare_v2(
                   s->db,
                   "SELECT id, first_ms, evidence, evidence_status, review FROM events WHERE "
                   "evidence != '' AND (evidence_status = 'complete' OR evidence_status LIKE "
                   "'failed%') ORDER BY first_ms, id",
                   -1, &q, NULL);
    if (rc != SQLITE_OK)
        return fail(s, "listing evidence", rc);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct cw_evidence_row r = {sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1),
                                    (const char *)sqlite3_column_text(q, 2),
                                    (const char *)sqlite3_column_text(q, 3),
                                    (const char *)sqlite3_column_text(q, 4)};
        fn(opaque, &r);
        n++;
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? n : fail(s, "listing evidence", rc);
}

static int st_set_review(struct cw_store *base, int64_t id, const char *review)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    sqlite3_stmt *q;
    int rc = sqlite3_prepare_v2(s->db, "UPDATE events SET review = ?2 WHERE id = ?1", -1, &q, NULL);
    if (rc != SQLITE_OK)
        return fail(s, "recording a review", rc);
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_text(q, 2, review, -1, SQLITE_STATIC);
    rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return fail(s, "recording a review", rc);
    return sqlite3_changes(s->db) ? 0 : CW_ENOENT;
}

const struct cw_store_backend cw__store_sqlite = {
    "sqlite",  st_open,   st_close,        st_version, st_write,         st_passages,
    st_hourly, st_events, st_set_evidence, st_verify,  st_evidence_rows, st_set_review,
};

/* The SQLite event store: schema creation and migration, writing and reading events, hourly
 * counts with compliant passages, JSON lines, and the failures a user can meet — a read-only
 * file, a database locked by another writer, a file that is not a database, a newer schema. */
#include <inttypes.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crosswatch/detection.h"
#include "crosswatch/error.h"
#include "crosswatch/hash.h"
#include "crosswatch/light.h"
#include "crosswatch/store.h"
#include "helpers.h"

static char dir[64], db[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/cw-store-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof(db), "%s/events.db", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static struct cw_store *open_store(const char *path)
{
    struct cw_store_config c = {0};
    cw_options_defaults(cw_store_options, &c);
    c.busy_timeout_ms = 100;
    return cw_store_open(path, &c);
}

static struct cw_event event(const char *rule, int64_t t_ms, int64_t track)
{
    struct cw_event e = {0};
    snprintf(e.site, sizeof(e.site), "wenzhou-1");
    snprintf(e.camera, sizeof(e.camera), "north");
    snprintf(e.rule, sizeof(e.rule), "%s", rule);
    e.cls = CW_CLASS_TWO_WHEELER;
    e.track = track;
    e.first_ms = t_ms;
    e.last_ms = t_ms + 1500;
    e.ground_first = (struct cw_point){1.5, -2};
    e.ground_last = (struct cw_point){1.7, 4};
    e.box = (struct cw_box){100, 200, 40, 80};
    e.speed_mps = 4.5f;
    e.signal_state = CW_LIGHT_RED;
    e.signal_age_s = 3.25f;
    e.confidence = 0.9f;
    snprintf(e.evidence, sizeof(e.evidence), "2026/11/29/%" PRId64, track);
    return e;
}

struct collect {
    struct cw_event ev[16];
    int n;
    struct {
        char rule[32];
        int64_t hour, v, c;
    } h[16];
    int nh;
};

static void on_event(void *o, const struct cw_event *e)
{
    struct collect *c = o;
    if (c->n < 16)
        c->ev[c->n++] = *e;
}

static void on_hour(void *o, const struct cw_hour_count *h)
{
    struct collect *c = o;
    if (c->nh < 16) {
        snprintf(c->h[c->nh].rule, sizeof(c->h[c->nh].rule), "%s", h->rule);
        c->h[c->nh].hour = h->hour_ms;
        c->h[c->nh].v = h->violations;
        c->h[c->nh].c = h->compliant;
        c->nh++;
    }
}

#define H(k) ((int64_t)1764374400000 + (k)*3600000) /* 2026-11-29 00:00 UTC + k hours */

static void test_write_and_read(void **state)
{
    (void)state;
    struct cw_store *s = open_store(db);
    assert_non_null(s);
    assert_int_equal(cw_store_schema_version(s), 2);
    struct cw_event ev[3] = {event("red_light", H(8) + 1000, 7), event("red_light", H(8) + 5000, 9),
                             event("wrong_way", H(9) + 10, 12)};
    assert_int_equal(cw_store_write(s, ev, 3), 0);
    assert_true(ev[0].id > 0);
    assert_int_equal(ev[1].id, ev[0].id + 1);
    assert_int_equal(ev[2].id, ev[0].id + 2);
    struct cw_passage p[2] = {{"wenzhou-1", "north", "red_light", H(8) + 200},
                              {"wenzhou-1", "north", "red_light", H(8) + 300}};
    assert_int_equal(cw_store_add_passages(s, p, 2), 0);
    cw_store_close(s);

    /* reopened: same schema, everything there */
    s = open_store(db);
    assert_non_null(s);
    struct collect c = {0};
    assert_int_equal(cw_store_events(s, H(0), H(24), NULL, NULL, 10, on_event, &c), 3);
    assert_int_equal(c.ev[0].id, ev[2].id); /* newest first */
    assert_string_equal(c.ev[2].rule, "red_light");
    assert_int_equal(c.ev[2].track, 7);
    assert_int_equal(c.ev[2].cls, CW_CLASS_TWO_WHEELER);
    assert_int_equal(c.ev[2].signal_state, CW_LIGHT_RED);
    assert_float_equal(c.ev[2].signal_age_s, 3.25, 1e-6);
    assert_float_equal(c.ev[2].ground_last.y, 4, 1e-9);
    assert_string_equal(c.ev[2].evidence, "2026/11/29/7");
    c.n = 0;
    assert_int_equal(cw_store_events(s, H(0), H(24), "wrong_way", "wenzhou-1", 10, on_event, &c),
                     1);
    c.n = 0;
    assert_int_equal(cw_store_events(s, H(0), H(24), NULL, "elsewhere", 10, on_event, &c), 0);
    assert_int_equal(cw_store_events(s, H(0), H(24), NULL, NULL, 1, on_event, &c), 1);
    /* hourly: 8 h has 2 violations and 2 compliant, 9 h one violation; the same for the site */
    assert_int_equal(cw_store_hourly(s, H(0), H(24), "elsewhere", on_hour, &c), 0);
    assert_int_equal(cw_store_hourly(s, H(0), H(24), "wenzhou-1", on_hour, &c), 2);
    assert_int_equal(c.h[0].v, 2);
    assert_int_equal(c.h[0].c, 2);
    c.nh = 0;
    assert_int_equal(cw_store_hourly(s, H(0), H(24), NULL, on_hour, &c), 2);
    assert_int_equal(c.h[0].hour, H(8));
    assert_int_equal(c.h[0].v, 2);
    assert_int_equal(c.h[0].c, 2);
    assert_string_equal(c.h[1].rule, "wrong_way");
    assert_int_equal(c.h[1].v, 1);
    assert_int_equal(c.h[1].c, 0);
    cw_store_close(s);
}

static void test_json_line(void **state)
{
    (void)state;
    struct cw_event e = event("red_light", 1764400000123, 5);
    snprintf(e.site, sizeof(e.site), "a \"quoted\" site");
    char buf[1024];
    int n = cw_event_to_json(&e, buf, sizeof(buf));
    assert_true(n > 0);
    assert_non_null(strstr(buf, "\"site\":\"a \\\"quoted\\\" site\""));
    assert_non_null(strstr(buf, "\"first_ms\":1764400000123"));
    assert_non_null(strstr(buf, "\"class\":\"two_wheeler\""));
    assert_non_null(strstr(buf, "\"signal\":\"red\",\"signal_age_s\":3.25"));
    assert_int_equal(cw_event_to_json(&e, buf, 40), -1);
}

static void test_migrates_an_older_store_and_refuses_a_newer(void **state)
{
    (void)state;
    char path[160];
    sqlite3 *raw;
    /* a version-0 file (empty) is migrated */
    snprintf(path, sizeof(path), "%s/old.db", dir);
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "CREATE TABLE notes(x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    struct cw_store *s = open_store(path);
    assert_non_null(s);
    assert_int_equal(cw_store_schema_version(s), 2);
    cw_store_close(s);
    /* a schema from the future is refused, naming it */
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    struct log_capture c;
    capture_start(&c);
    assert_null(open_store(path));
    capture_stop();
    assert_logged(&c, "schema version 99 was written by a newer crosswatch");
}

struct problems {
    int n;
    char line[8][256];
};

static void on_problem(void *o, int64_t id, const char *what)
{
    struct problems *p = o;
    (void)id;
    if (p->n < 8)
        snprintf(p->line[p->n], sizeof(p->line[0]), "%s", what);
    p->n++;
}

static bool said(const struct problems *p, const char *what)
{
    for (int i = 0; i < p->n && i < 8; i++)
        if (strstr(p->line[i], what))
            return true;
    return false;
}

static int verify(struct cw_store *s, struct problems *p, struct cw_verify_counts *c)
{
    memset(p, 0, sizeof(*p));
    int n = cw_store_verify(s, dir, on_problem, p, c);
    for (int i = 0; i < p->n && i < 8; i++)
        print_message("verify: %s\n", p->line[i]);
    return n;
}

/* Events are sealed in a chain with their evidence: a clean store verifies; a changed evidence
 * file, an altered or removed event, and evidence left pending are each named. */
static void test_chain_and_verify(void **state)
{
    (void)state;
    char path[160], sub[200], file[260], manifest[512], hex[CW_SHA256_HEX];
    struct problems p;
    struct cw_verify_counts c;
    snprintf(path, sizeof(path), "%s/chain.db", dir);
    struct cw_store *s = open_store(path);
    assert_non_null(s);
    struct cw_event ev[4] = {event("red_light", H(8), 1), event("red_light", H(8) + 10, 2),
                             event("wrong_way", H(8) + 20, 3), event("speeding", H(8) + 30, 4)};
    assert_int_equal(cw_store_write(s, ev, 2), 0);
    assert_int_equal(cw_store_write(s, ev + 2, 2), 0);
    /* evidence for the first: one file, hashed into the manifest */
    snprintf(sub, sizeof(sub), "%s/e1", dir);
    mkdir(sub, 0755);
    snprintf(file, sizeof(file), "%s/picture.jpg", sub);
    FILE *f = fopen(file, "w");
    fputs("a picture", f);
    fclose(f);
    assert_int_equal(cw_sha256_file(file, hex), 0);
    snprintf(manifest, sizeof(manifest),
             "{\"dir\":\"e1\",\"files\":[{\"name\":\"picture.jpg\",\"sha256\":\"%s\","
             "\"bytes\":9}]}",
             hex);
    assert_int_equal(cw_store_set_evidence(s, ev[0].id, "e1", "complete", manifest), 0);
    assert_int_equal(cw_store_set_evidence(s, ev[3].id, "e4", "pending", NULL), 0);
    /* clean but for the pending evidence */
    assert_int_equal(verify(s, &p, &c), 1);
    assert_true(said(&p, "evidence incomplete (the process stopped before it was written)"));
    assert_int_equal(c.events, 4);
    assert_int_equal(c.evidence, 1);
    assert_int_equal(c.links, 5);
    assert_int_equal(cw_store_set_evidence(s, ev[3].id, "e4", "complete",
                                           "{\"dir\":\"e4\","
                                           "\"files\":[]}"),
                     0);
    assert_int_equal(verify(s, &p, &c), 0);
    /* the picture is changed */
    f = fopen(file, "a");
    fputs("!", f);
    fclose(f);
    assert_int_equal(verify(s, &p, &c), 1);
    assert_true(said(&p, "evidence file e1/picture.jpg was changed"));
    unlink(file);
    assert_int_equal(verify(s, &p, &c), 1);
    assert_true(said(&p, "evidence file e1/picture.jpg is missing"));
    cw_store_close(s);
    /* an event altered, another removed, behind crosswatch's back */
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    char sql[128];
    snprintf(sql, sizeof(sql), "UPDATE events SET rule = 'speeding' WHERE id = %lld",
             (long long)ev[1].id);
    assert_int_equal(sqlite3_exec(raw, sql, NULL, NULL, NULL), SQLITE_OK);
    snprintf(sql, sizeof(sql), "DELETE FROM events WHERE id = %lld", (long long)ev[2].id);
    assert_int_equal(sqlite3_exec(raw, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    s = open_store(path);
    assert_int_equal(verify(s, &p, &c), 3);
    char want[64];
    snprintf(want, sizeof(want), "event %lld: altered in the events table", (long long)ev[1].id);
    assert_true(said(&p, want));
    snprintf(want, sizeof(want), "event %lld: removed from the events table", (long long)ev[2].id);
    assert_true(said(&p, want));
    cw_store_close(s);
    /* a link taken out of the chain itself */
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "DELETE FROM chain WHERE seq = 2", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(raw);
    s = open_store(path);
    assert_true(verify(s, &p, &c) >= 2);
    assert_true(said(&p, "chain: link 2 was removed"));
    snprintf(want, sizeof(want), "event %lld: not in the chain", (long long)ev[1].id);
    assert_true(said(&p, want));
    cw_store_close(s);
}

static void test_bad_stores(void **state)
{
    (void)state;
    struct log_capture c;
    char path[160];
    /* not a database */
    snprintf(path, sizeof(path), "%s/text.db", dir);
    FILE *f = fopen(path, "w");
    fputs("this is not a database, it is a text file that is long enough to matter\n", f);
    fclose(f);
    capture_start(&c);
    assert_null(open_store(path));
    capture_stop();
    assert_logged(&c, "the file is not a crosswatch database or is damaged");
    /* a folder that does not exist */
    capture_start(&c);
    assert_null(open_store("/nonexistent/dir/events.db"));
    capture_stop();
    assert_logged(&c, "store '/nonexistent/dir/events.db'");
    assert_int_equal(c.errors, 1);
    capture_start(&c);
    assert_null(open_store("postgresql://db/x"));
    capture_stop();
    assert_logged(&c, "unknown kind");
    if (geteuid() != 0) {
        /* read-only (root could write anyway) */
        snprintf(path, sizeof(path), "%s/ro", dir);
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/ro/events.db", dir);
        struct cw_store *s = open_store(path);
        assert_non_null(s);
        cw_store_close(s);
        chmod(path, 0444);
        snprintf(path, sizeof(path), "%s/ro", dir);
        chmod(path, 0555);
        snprintf(path, sizeof(path), "%s/ro/events.db", dir);
        capture_start(&c);
        s = open_store(path);
        if (s) {
            struct cw_event e = event("red_light", H(1), 1);
            assert_true(cw_store_write(s, &e, 1) < 0);
            cw_store_close(s);
        }
        capture_stop();
        assert_logged(&c, "writable");
        snprintf(path, sizeof(path), "%s/ro", dir);
        chmod(path, 0755);
    }
}

static void test_locked_by_another_writer(void **state)
{
    (void)state;
    char path[160];
    snprintf(path, sizeof(path), "%s/locked.db", dir);
    struct cw_store *s = open_store(path);
    assert_non_null(s);
    sqlite3 *other;
    assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    struct cw_event e = event("red_light", H(3), 3);
    struct log_capture c;
    capture_start(&c);
    assert_int_equal(cw_store_write(s, &e, 1), CW_EBUSY);
    capture_stop();
    assert_logged(&c, "another process holds it locked");
    assert_int_equal(e.id, 0);
    /* once the other writer is done, the same batch goes in */
    assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    assert_int_equal(cw_store_write(s, &e, 1), 0);
    assert_true(e.id > 0);
    cw_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_and_read),
        cmocka_unit_test(test_json_line),
        cmocka_unit_test(test_migrates_an_older_store_and_refuses_a_newer),
        cmocka_unit_test(test_chain_and_verify),
        cmocka_unit_test(test_bad_stores),
        cmocka_unit_test(test_locked_by_another_writer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* Tests of the MOTChallenge reader and metrics: hand-made cases with figures worked out by hand,
 * the benchmark rules, bad files, and TrackEval's own numbers on real MOT17 tracker output. */
#include "helpers.h"

#include <math.h>

#include "crosswatch/assign.h"
#include "crosswatch/error.h"
#include "crosswatch/mot.h"

static void load(const char *text, int frames, bool gt, struct cw_mot_file *f)
{
    assert_int_equal(cw_mot_parse(text, strlen(text), gt ? "gt.txt" : "res.txt", frames, gt, f), 0);
}

static void eval(const char *gt_text, const char *res_text, int frames, enum cw_mot_benchmark bench,
                 struct cw_mot_metrics *m)
{
    struct cw_mot_file gt, res;
    load(gt_text, frames, true, &gt);
    load(res_text, frames, false, &res);
    assert_int_equal(cw_mot_evaluate(&gt, &res, bench, "t", m), 0);
    cw_mot_file_release(&gt);
    cw_mot_file_release(&res);
}

#define near(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static void test_perfect_tracker(void **state)
{
    struct cw_mot_metrics m;
    (void)state;
    /* Two people over three frames; the tracker numbers them differently. */
    eval("1,1,10,10,20,40,1,1,1\n1,2,100,10,20,40,1,1,1\n2,1,12,10,20,40,1,1,1\n"
         "2,2,102,10,20,40,1,1,1\n3,1,14,10,20,40,1,1,1\n3,2,104,10,20,40,1,1,1\n",
         "1,7,10,10,20,40,1,-1,-1,-1\n1,9,100,10,20,40,1,-1,-1,-1\n2,7,12,10,20,40,1\n"
         "2,9,102,10,20,40,1\n3,7,14,10,20,40,1\n3,9,104,10,20,40,1\n",
         3, CW_MOT_AUTO, &m);
    near(m.mota, 1);
    near(m.motp, 1);
    near(m.idf1, 1);
    near(m.hota, 1);
    near(m.assa, 1);
    near(m.loca, 1);
    assert_int_equal(m.clr_tp, 6);
    assert_int_equal(m.idsw, 0);
    assert_int_equal(m.mt, 2);
    assert_int_equal(m.gt_ids, 2);
}

static void test_id_switch(void **state)
{
    struct cw_mot_metrics m;
    (void)state;
    /* One person, four frames; the tracker calls it A, then B. */
    eval("1,1,0,0,10,10,1,1,1\n2,1,0,0,10,10,1,1,1\n3,1,0,0,10,10,1,1,1\n4,1,0,0,10,10,1,1,1\n",
         "1,1,0,0,10,10,1\n2,1,0,0,10,10,1\n3,2,0,0,10,10,1\n4,2,0,0,10,10,1\n", 4, CW_MOT_MOT17,
         &m);
    assert_int_equal(m.clr_tp, 4);
    assert_int_equal(m.idsw, 1);
    near(m.mota, 0.75);
    /* The best single id covers 2 of 4 frames: IDF1 = 2 / (2 + 1 + 1). */
    assert_int_equal(m.idtp, 2);
    near(m.idf1, 0.5);
    /* DetA 1; AssA = (2·2/4 + 2·2/4) / 4 = 0.5; HOTA = sqrt(0.5). */
    near(m.deta, 1);
    near(m.assa, 0.5);
    near(m.hota, sqrt(0.5));
    assert_int_equal(m.frag, 0);
}

static void test_partial_overlap_and_misses(void **state)
{
    struct cw_mot_metrics m;
    (void)state;
    /* IoU 0.62 in frame 1 (10x10 against 6.2x10 inside it); in frame 2 the tracker's only box
     * is elsewhere (a miss and a false alarm); frame 3 matches again: one fragmentation. (Had
     * the tracker given no box at all in frame 2, TrackEval would not count a fragmentation:
     * frames without tracker boxes leave the "tracked last frame" state alone.) */
    eval("1,1,0,0,10,10,1,1,1\n2,1,0,0,10,10,1,1,1\n3,1,0,0,10,10,1,1,1\n",
         "1,1,0,0,6.2,10,1\n2,2,50,50,10,10,1\n3,1,0,0,10,10,1\n", 3, CW_MOT_MOT17, &m);
    assert_int_equal(m.clr_tp, 2);
    assert_int_equal(m.clr_fn, 1);
    assert_int_equal(m.clr_fp, 1);
    assert_int_equal(m.frag, 1);
    near(m.motp, (0.62 + 1.0) / 2);
    near(m.mota, (2.0 - 1.0) / 3.0);
    /* HOTA: the 0.62 match counts for alphas 0.05 .. 0.60 (12 of 19). */
    near(m.hota_tp[0], 2);
    near(m.hota_tp[11], 2);
    near(m.hota_tp[12], 1);
    near(m.hota_fn[12], 2);
}

static void test_distractors_and_ignored(void **state)
{
    struct cw_mot_metrics m;
    (void)state;
    /* Frame 1: a static person (class 7, conf 0) the tracker boxes: removed, not a false alarm.
     * Frame 2: a pedestrian marked to ignore (conf 0): not a miss, but a box on it is a false
     * alarm (only distractor classes remove tracker boxes). Frame 3: a car (class 3): ignored. */
    const char *gt = "1,1,0,0,10,10,0,7,1\n1,2,40,0,10,10,1,1,1\n"
                     "2,3,0,0,10,10,0,1,0.1\n"
                     "3,4,0,0,30,20,0,3,1\n";
    const char *res = "1,5,0,0,10,10,1\n1,6,40,0,10,10,1\n2,7,0,0,10,10,1\n3,8,0,0,30,20,1\n";
    eval(gt, res, 3, CW_MOT_MOT17, &m);
    assert_int_equal(m.gt_dets, 1);
    assert_int_equal(m.clr_tp, 1);
    assert_int_equal(m.clr_fn, 0);
    assert_int_equal(m.clr_fp, 2);
    assert_int_equal(m.dets, 3);
    /* As MOT15 (no classes), only the ignore mark applies and nothing is removed. */
    eval("1,1,0,0,10,10,1,-1,-1,-1\n1,2,40,0,10,10,0,-1,-1,-1\n",
         "1,5,0,0,10,10,1\n1,6,40,0,10,10,1\n", 1, CW_MOT_AUTO, &m);
    assert_int_equal(m.gt_dets, 1);
    assert_int_equal(m.clr_tp, 1);
    assert_int_equal(m.clr_fp, 1);
}

static void test_empty_tracker(void **state)
{
    struct cw_mot_metrics m;
    (void)state;
    eval("1,1,0,0,10,10,1,1,1\n2,1,0,0,10,10,1,1,1\n", "", 2, CW_MOT_MOT17, &m);
    assert_int_equal(m.clr_fn, 2);
    assert_int_equal(m.ml, 1);
    near(m.mota, 0);
    near(m.hota, 0);
    near(m.idf1, 0);
}

static void test_bad_files(void **state)
{
    struct cw_mot_file f;
    struct log_capture c;
    struct cw_mot_file gt, res;
    struct cw_mot_metrics m;
    (void)state;
    capture_start(&c);
    assert_int_equal(cw_mot_parse("1,1,0,0\n", 8, "a.txt", 5, false, &f), CW_EFORMAT);
    assert_int_equal(cw_mot_parse("9,1,0,0,1,1,1\n", 14, "b.txt", 5, false, &f), CW_EFORMAT);
    assert_int_equal(cw_mot_parse("1,x,0,0,1,1,1\n", 14, "c.txt", 5, false, &f), CW_EFORMAT);
    assert_int_equal(cw_mot_parse("1,1,0,0,1,1,1\n", 14, "d.txt", 5, true, &f), CW_EFORMAT);
    assert_int_equal(cw_mot_parse("1,1,nan,0,1,1,1\n", 16, "e.txt", 5, false, &f), CW_EFORMAT);
    assert_int_equal(cw_mot_load("/nonexistent/gt.txt", 5, true, &f), CW_ENOENT);
    capture_stop();
    assert_logged(&c, "a.txt:1: expected at least 6 numbers");
    assert_logged(&c, "b.txt:1: frame 9 is outside the sequence's 1..5");
    assert_logged(&c, "c.txt:1: expected at least 6 numbers");
    assert_logged(&c, "d.txt:1: expected at least 8 numbers");
    assert_logged(&c, "/nonexistent/gt.txt: cannot open");

    /* Found by fuzzing: numbers too large for their integer columns, confidences far from 0/1,
     * and text that is not NUL-terminated. */
    assert_int_equal(cw_mot_parse("1,1,0,0,1,1,1,1e300\n", 20, "f.txt", 5, true, &f), CW_EFORMAT);
    load("1,1,0,0,10,10,1e300,1,1\n1,2,20,0,10,10,0.5,1,1\n", 1, true, &gt);
    load("1,1,0,0,10,10,1\n", 1, false, &res);
    assert_int_equal(cw_mot_evaluate(&gt, &res, CW_MOT_MOT17, "seq", &m), 0);
    assert_int_equal(m.gt_dets, 1); /* conf 0.5 reads as 0 (ignored), as int(0.5) in TrackEval */
    cw_mot_file_release(&gt);
    cw_mot_file_release(&res);
    char unterminated[14];
    memcpy(unterminated, "1,1,0,0,1,1,17", 14);
    assert_int_equal(cw_mot_parse(unterminated, 13, "g.txt", 5, false, &f), 0);
    assert_true(f.box[0].conf == 1);
    cw_mot_file_release(&f);

    /* Rules of the benchmark: one box per id per frame, pedestrians only, known classes. */
    const char *cases[][3] = {
        {"1,1,0,0,10,10,1,1,1\n", "1,3,0,0,10,10,1\n1,3,5,5,10,10,1\n",
         "frame 1: the tracker gives id 3 to more than one box"},
        {"1,1,0,0,10,10,1,1,1\n", "1,3,0,0,10,10,1,2\n", "tracker box of class 2"},
        {"1,1,0,0,10,10,1,99,1\n", "1,3,0,0,10,10,1\n", "ground-truth class 99"},
        {"1,1,0,0,10,10,1,1,1\n1,1,5,5,10,10,1,1,1\n", "1,3,0,0,10,10,1\n",
         "the ground truth has id 1 more than once"},
    };
    for (int i = 0; i < 4; i++) {
        load(cases[i][0], 1, true, &gt);
        load(cases[i][1], 1, false, &res);
        capture_start(&c);
        assert_int_equal(cw_mot_evaluate(&gt, &res, CW_MOT_MOT17, "seq", &m), CW_EFORMAT);
        capture_stop();
        assert_logged(&c, cases[i][2]);
        cw_mot_file_release(&gt);
        cw_mot_file_release(&res);
    }
}

static void test_assign_against_brute_force(void **state)
{
    struct cw_assign *a = cw_assign_new();
    unsigned seed = 12345;
    (void)state;
    for (int trial = 0; trial < 300; trial++) {
        int rows = 1 + trial % 5, cols = 1 + (trial / 5) % 5;
        double cost[25];
        int match[5];
        for (int k = 0; k < rows * cols; k++) {
            seed = seed * 1103515245u + 12345u;
            cost[k] = (double)((seed >> 16) % 100) - 50;
        }
        int n = cw_assign_solve(a, cost, rows, cols, match);
        assert_int_equal(n, rows < cols ? rows : cols);
        double got = 0;
        int used = 0;
        for (int r = 0; r < rows; r++)
            if (match[r] >= 0) {
                assert_false(used & (1 << match[r]));
                used |= 1 << match[r];
                got += cost[r * cols + match[r]];
            }
        /* brute force over every injective map of the smaller side */
        double best = 1e300;
        int perm[5] = {0, 1, 2, 3, 4};
        int small = rows < cols ? rows : cols, big = rows < cols ? cols : rows;
        /* enumerate big^small choices and keep injective ones */
        int total = 1;
        for (int k = 0; k < small; k++)
            total *= big;
        for (int code = 0; code < total; code++) {
            int c = code, seen = 0;
            double s = 0;
            bool ok = true;
            for (int k = 0; k < small; k++) {
                perm[k] = c % big;
                c /= big;
                if (seen & (1 << perm[k]))
                    ok = false;
                seen |= 1 << perm[k];
            }
            if (!ok)
                continue;
            for (int k = 0; k < small; k++)
                s += rows <= cols ? cost[k * cols + perm[k]] : cost[perm[k] * cols + k];
            if (s < best)
                best = s;
        }
        near(got, best);
    }
    cw_assign_free(a);
}

/* TrackEval's own figures for real tracker output on MOT17 (../shared/data). */
static void test_trackeval_reference(void **state)
{
    const char *data = getenv("CW_SHARED_DATA") ? getenv("CW_SHARED_DATA") : "../shared/data";
    const char *seqs[] = {"MOT17-02-FRCNN", "MOT17-05-FRCNN", "MOT17-09-FRCNN"};
    /* csv column name -> our value */
    const char *cols[] = {"HOTA___AUC",  "DetA___AUC",  "AssA___AUC", "DetRe___AUC", "DetPr___AUC",
                          "AssRe___AUC", "AssPr___AUC", "LocA___AUC", "RHOTA___AUC", "HOTA(0)",
                          "LocA(0)",     "MOTA",        "MOTP",       "MODA",        "sMOTA",
                          "IDF1",        "IDR",         "IDP",        "CLR_TP",      "CLR_FN",
                          "CLR_FP",      "IDSW",        "MT",         "PT",          "ML",
                          "Frag",        "IDTP",        "IDFN",       "IDFP"};
    char path[1024];
    static char line[1 << 16], header[1 << 16];
    FILE *csv;
    (void)state;
    snprintf(path, sizeof(path), "%s/mot/trackeval-reference/pedestrian_detailed.csv", data);
    csv = fopen(path, "r");
    if (!csv) {
        printf("skipped: %s is absent (../shared/data not available)\n", path);
        skip();
    }
    assert_non_null(fgets(header, sizeof(header), csv));
    int checked = 0;
    while (fgets(line, sizeof(line), csv)) {
        char seq[64];
        int which = -1;
        sscanf(line, "%63[^,]", seq);
        for (int i = 0; i < 3; i++)
            if (!strcmp(seq, seqs[i]))
                which = i;
        if (which < 0)
            continue;
        struct cw_mot_seqinfo info;
        struct cw_mot_file gt, res;
        struct cw_mot_metrics m;
        snprintf(path, sizeof(path), "%s/mot/MOT17/%s/seqinfo.ini", data, seq);
        assert_int_equal(cw_mot_read_seqinfo(path, &info), 0);
        snprintf(path, sizeof(path), "%s/mot/MOT17/%s/gt/gt.txt", data, seq);
        assert_int_equal(cw_mot_load(path, info.length, true, &gt), 0);
        snprintf(path, sizeof(path), "%s/mot/trackeval-reference/data/%s.txt", data, seq);
        assert_int_equal(cw_mot_load(path, info.length, false, &res), 0);
        assert_int_equal(cw_mot_evaluate(&gt, &res, CW_MOT_MOT17, seq, &m), 0);
        const double ours[] = {
            m.hota,           m.deta,         m.assa,         m.detre,          m.detpr,
            m.assre,          m.asspr,        m.loca,         m.rhota,          m.hota0,
            m.loca0,          m.mota,         m.motp,         m.moda,           m.smota,
            m.idf1,           m.idr,          m.idp,          (double)m.clr_tp, (double)m.clr_fn,
            (double)m.clr_fp, (double)m.idsw, (double)m.mt,   (double)m.pt,     (double)m.ml,
            (double)m.frag,   (double)m.idtp, (double)m.idfn, (double)m.idfp};
        /* find each column in the header */
        for (size_t k = 0; k < sizeof(cols) / sizeof(cols[0]); k++) {
            char *h = header, *v = line;
            int col = 0, found = -1;
            for (char *p = h; *p; p++) {
                if (p == h || p[-1] == ',') {
                    size_t n = strlen(cols[k]);
                    if (!strncmp(p, cols[k], n) && (p[n] == ',' || p[n] == '\n' || p[n] == '\r'))
                        found = col;
                }
                if (*p == ',')
                    col++;
            }
            assert_true(found >= 0);
            for (int c2 = 0; c2 < found; c2++)
                v = strchr(v, ',') + 1;
            double want = atof(v);
            /* Issue 3's bar is 0.1 point; we hold ourselves to a millionth. */
            if (fabs(ours[k] - want) > 1e-6 * fmax(1.0, fabs(want)))
                fail_msg("%s %s: crosswatch %.9f, TrackEval %.9f", seq, cols[k], ours[k], want);
        }
        cw_mot_file_release(&gt);
        cw_mot_file_release(&res);
        checked++;
    }
    fclose(csv);
    assert_int_equal(checked, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_perfect_tracker),
        cmocka_unit_test(test_id_switch),
        cmocka_unit_test(test_partial_overlap_and_misses),
        cmocka_unit_test(test_distractors_and_ignored),
        cmocka_unit_test(test_empty_tracker),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_assign_against_brute_force),
        cmocka_unit_test(test_trackeval_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

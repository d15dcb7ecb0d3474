/* The DNN detector stage on a model the test writes itself: letterboxing and mapping boxes back
 * to frame pixels, the class map (default names, custom map, attributes, signal heads kept
 * apart), and bad configurations named. */
#include <math.h>
#include <unistd.h>

#include "crosswatch/dnn_detector.h"
#include "crosswatch/error.h"
#include "helpers.h"

/* 4×4 RGB in; a 1×1 convolution to 7 channels; a 4×4 max-pool down to one cell; one anchor of
 * 2×1 network pixels, two classes. All weights zero, so the biases are the raw outputs. */
static const char *cfg_text = "[net]\nwidth=4\nheight=4\nchannels=3\n"
                              "[convolutional]\nfilters=7\nsize=1\nactivation=linear\n"
                              "[maxpool]\nsize=4\nstride=4\n"
                              "[yolo]\nmask=0\nanchors=2,1\nnum=1\nclasses=2\n";

static char dir[64], cfg_path[128], weights_path[128], names_path[128];

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* Biases: centre of the cell, the anchor's size, objectness and the two class logits. */
static void write_model(float cls0, float cls1)
{
    uint8_t w[20 + 7 * 4 + 21 * 4] = {0};
    int32_t hdr[3] = {0, 2, 0};
    float bias[7] = {0, 0, 0, 0, 6, cls0, cls1};
    memcpy(w, hdr, sizeof(hdr));
    memcpy(w + 20, bias, sizeof(bias));
    write_file(weights_path, w, sizeof(w));
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/cw-dnn-detector-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(cfg_path, sizeof(cfg_path), "%s/m.cfg", dir);
    snprintf(weights_path, sizeof(weights_path), "%s/m.weights", dir);
    snprintf(names_path, sizeof(names_path), "%s/m.names", dir);
    write_file(cfg_path, cfg_text, strlen(cfg_text));
    write_file(names_path, "bicycle\ntraffic light\n", 22);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(cfg_path), unlink(weights_path), unlink(names_path);
    rmdir(dir);
    return 0;
}

/* A 200×100 grey frame (YUV 4:2:0). */
struct test_frame {
    struct cw_frame f;
    uint8_t y[200 * 100], u[100 * 50], v[100 * 50];
};

static void make_frame(struct test_frame *t)
{
    memset(t, 0, sizeof(*t));
    memset(t->y, 120, sizeof(t->y));
    memset(t->u, 128, sizeof(t->u));
    memset(t->v, 128, sizeof(t->v));
    t->f.width = 200, t->f.height = 100;
    t->f.plane[0] = t->y, t->f.plane[1] = t->u, t->f.plane[2] = t->v;
    t->f.stride[0] = 200, t->f.stride[1] = t->f.stride[2] = 100;
}

static struct cw_dnn_detector *detector(const char *names, const char *map)
{
    struct cw_dnn_detector_config c;
    cw_options_defaults(cw_dnn_detector_options, &c);
    c.model_cfg = cfg_path;
    c.model_weights = weights_path;
    c.names = (char *)names;
    c.class_map = (char *)map;
    struct cw_dnn_detector *d = cw_dnn_detector_new(&c);
    return d;
}

static void test_box_back_in_frame_pixels(void **state)
{
    (void)state;
    struct test_frame t;
    struct cw_detection out[8];
    make_frame(&t);
    write_model(6, -6);
    struct cw_dnn_detector *d = detector(names_path, NULL);
    assert_non_null(d);
    /* 200×100 into 4×4: scale 0.02, 4×2 picture, one grey row above and below. The box is 2×1
     * network pixels at the centre (2, 2): (1, 1.5)–(3, 2.5) → frame (50, 25) 100×50. */
    int n = cw_dnn_detector_run(d, &t.f, NULL, out, 8);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].cls, CW_CLASS_TWO_WHEELER);
    assert_float_equal(out[0].box.x, 50, 1e-3);
    assert_float_equal(out[0].box.y, 25, 1e-3);
    assert_float_equal(out[0].box.w, 100, 1e-3);
    assert_float_equal(out[0].box.h, 50, 1e-3);
    float want = (float)(1 / (1 + exp(-6.0)) * 1 / (1 + exp(-6.0)));
    assert_float_equal(out[0].score, want, 1e-5);
    assert_int_equal(out[0].attr[CW_ATTR_HELMET], CW_ATTR_UNKNOWN);
    assert_false(out[0].has_ground);
    const struct cw_box *sig;
    const float *ss;
    assert_int_equal(cw_dnn_detector_signals(d, &sig, &ss), 0);
    assert_true(cw_dnn_detector_last_ms(d) >= 0);
    cw_dnn_detector_free(d);
}

/* The letterbox keeps the picture's colours where they are: a frame red on the left and blue on
 * the right (BT.601 limited range) comes out so in the network's RGB input, grey in the bars. */
static void test_letterbox_colours(void **state)
{
    (void)state;
    struct test_frame t;
    struct cw_detection out[8];
    make_frame(&t);
    for (int y = 0; y < 100; y++)
        for (int x = 0; x < 200; x++)
            t.y[y * 200 + x] = x < 100 ? 81 : 41;
    for (int y = 0; y < 50; y++)
        for (int x = 0; x < 100; x++) {
            t.u[y * 100 + x] = x < 50 ? 90 : 240;
            t.v[y * 100 + x] = x < 50 ? 240 : 110;
        }
    write_model(6, -6);
    struct cw_dnn_detector *d = detector(names_path, NULL);
    assert_non_null(d);
    assert_int_equal(cw_dnn_detector_run(d, &t.f, NULL, out, 8), 1);
    int w, h;
    const float *in = cw_dnn_detector_input(d, &w, &h);
    assert_int_equal(w, 4);
    assert_int_equal(h, 4);
    const float *r = in, *g = in + 16, *b = in + 32;
    /* rows 0 and 3 are the bars; in rows 1–2, columns 0 and 3 are well inside each half */
    assert_float_equal(r[0], 0.5f, 1e-6);
    assert_float_equal(b[15], 0.5f, 1e-6);
    for (int y = 1; y <= 2; y++) {
        assert_true(r[y * 4] > 0.9f && g[y * 4] < 0.1f && b[y * 4] < 0.1f);
        assert_true(b[y * 4 + 3] > 0.9f && r[y * 4 + 3] < 0.1f && g[y * 4 + 3] < 0.1f);
    }
    cw_dnn_detector_free(d);
}

static void test_class_map(void **state)
{
    (void)state;
    struct test_frame t;
    struct cw_detection out[8];
    const struct cw_box *sig;
    const float *ss;
    make_frame(&t);
    /* class 1 is "traffic light": kept apart, not a road user */
    write_model(-6, 6);
    struct cw_dnn_detector *d = detector(names_path, NULL);
    assert_non_null(d);
    assert_int_equal(cw_dnn_detector_run(d, &t.f, NULL, out, 8), 0);
    assert_int_equal(cw_dnn_detector_signals(d, &sig, &ss), 1);
    assert_float_equal(sig[0].x, 50, 1e-3);
    cw_dnn_detector_free(d);
    /* a custom map: by index, with an attribute */
    d = detector(names_path, "1=two_wheeler:helmet=0:passenger=1, bicycle=ignore");
    assert_non_null(d);
    assert_int_equal(cw_dnn_detector_run(d, &t.f, NULL, out, 8), 1);
    assert_int_equal(out[0].cls, CW_CLASS_TWO_WHEELER);
    assert_int_equal(out[0].attr[CW_ATTR_HELMET], CW_ATTR_NO);
    assert_int_equal(out[0].attr[CW_ATTR_PASSENGER], CW_ATTR_YES);
    assert_int_equal(out[0].attr[CW_ATTR_CANOPY], CW_ATTR_UNKNOWN);
    cw_dnn_detector_free(d);
}

/* A person on a bicycle is one two-wheeler; what the model says of the rider goes with it, and
 * where the map says nothing of passengers, one rider means none carried. */
static void test_rider_attributes(void **state)
{
    (void)state;
    struct test_frame t;
    struct cw_detection out[8];
    make_frame(&t);
    write_file(names_path, "person\nbicycle\n", 15);
    write_model(6, 6);
    struct cw_dnn_detector *d = detector(names_path, "person=pedestrian:helmet=0");
    assert_non_null(d);
    assert_int_equal(cw_dnn_detector_run(d, &t.f, NULL, out, 8), 1);
    assert_int_equal(out[0].cls, CW_CLASS_TWO_WHEELER);
    assert_int_equal(out[0].attr[CW_ATTR_HELMET], CW_ATTR_NO);
    assert_int_equal(out[0].attr[CW_ATTR_PASSENGER], CW_ATTR_NO);
    cw_dnn_detector_free(d);
    /* a map that says who carries a passenger: the count of riders no longer decides */
    d = detector(names_path, "person=pedestrian:passenger=1");
    assert_non_null(d);
    assert_int_equal(cw_dnn_detector_run(d, &t.f, NULL, out, 8), 1);
    assert_int_equal(out[0].attr[CW_ATTR_PASSENGER], CW_ATTR_YES);
    assert_int_equal(out[0].attr[CW_ATTR_HELMET], CW_ATTR_UNKNOWN);
    cw_dnn_detector_free(d);
    write_file(names_path, "bicycle\ntraffic light\n", 22);
}

/* A pickup scored as both car and truck is one road user: the surer class stays. */
static void test_one_box_per_road_user(void **state)
{
    (void)state;
    struct test_frame t;
    struct cw_detection out[8];
    make_frame(&t);
    write_file(names_path, "car\ntruck\n", 10);
    write_model(3, 5);
    struct cw_dnn_detector *d = detector(names_path, NULL);
    assert_non_null(d);
    assert_int_equal(cw_dnn_detector_run(d, &t.f, NULL, out, 8), 1);
    assert_int_equal(out[0].cls, CW_CLASS_BUS_TRUCK);
    cw_dnn_detector_free(d);
    write_file(names_path, "bicycle\ntraffic light\n", 22);
}

static void test_bad_configurations(void **state)
{
    (void)state;
    struct log_capture c;
    write_model(6, -6);
    capture_start(&c);
    /* a 2-class model without names or map */
    assert_null(detector(NULL, NULL));
    assert_logged(&c, "the model has 2 classes and no names; give names");
    assert_null(detector(names_path, "bicycle=lorry"));
    assert_logged(&c, "class_map: bicycle=lorry: the class must be pedestrian, two_wheeler");
    assert_null(detector(names_path, "scooter=car"));
    assert_logged(&c, "class_map: 'scooter' is not one of the model's 2 classes");
    assert_null(detector(names_path, "bicycle=car:helmet=2"));
    assert_logged(&c, "attributes are helmet, passenger or canopy, set to 0 or 1");
    assert_null(detector(names_path, "bicycle"));
    assert_logged(&c, "class_map: 'bicycle' should be name=class");
    write_file(names_path, "a\nb\nc\n", 6);
    assert_null(detector(names_path, NULL));
    assert_logged(&c, "3 names, but the model has 2 classes");
    write_file(names_path, "bicycle\ntraffic light\n", 22);
    struct cw_dnn_detector_config cfg;
    cw_options_defaults(cw_dnn_detector_options, &cfg);
    assert_null(cw_dnn_detector_new(&cfg));
    assert_logged(&c, "the DNN detector needs model_cfg and model_weights");
    /* a frame too small */
    struct cw_dnn_detector *d = detector(names_path, NULL);
    assert_non_null(d);
    struct test_frame t;
    struct cw_detection out[4];
    make_frame(&t);
    t.f.width = 1;
    assert_int_equal(cw_dnn_detector_run(d, &t.f, NULL, out, 4), CW_EINVAL);
    assert_logged(&c, "frame of 1×100 is too small");
    cw_dnn_detector_free(d);
    capture_stop();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_box_back_in_frame_pixels),
        cmocka_unit_test(test_letterbox_colours),
        cmocka_unit_test(test_class_map),
        cmocka_unit_test(test_rider_attributes),
        cmocka_unit_test(test_one_box_per_road_user),
        cmocka_unit_test(test_bad_configurations),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

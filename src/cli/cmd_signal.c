/* crosswatch signal: read signal heads from pictures — classify crops, score the classifier on a
 * labelled folder, or follow every head of a scene through a video. */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/file.h"
#include "crosswatch/error.h"
#include "crosswatch/jpeg.h"
#include "crosswatch/light.h"
#include "crosswatch/log.h"
#include "crosswatch/scene.h"
#include "crosswatch/signals.h"
#include "crosswatch/source.h"

#define MAX_FILES 100000

struct signal_opts {
    struct cw_signals_config sig;
    int layout;
    bool raw;
    char *plan;
    char *listen;
    bool features;
    bool json;
    char *scene;
    char *out;
};

static const char *const layouts[] = {"vertical", "horizontal", "single", NULL};

static struct cw_option signal_options[32];

static const struct cw_option own_options[] = {
    {"raw",
     CW_OPT_BOOL,
     offsetof(struct signal_opts, raw),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "read: each frame's reading as the picture shows it, without the timeline"},
    {"plan",
     CW_OPT_STRING,
     offsetof(struct signal_opts, plan),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "read: a fixed-time plan (JSON) for the heads it names"},
    {"listen",
     CW_OPT_STRING,
     offsetof(struct signal_opts, listen),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "read: also take controller messages on this UDP host:port"},
    {"layout",
     CW_OPT_ENUM,
     offsetof(struct signal_opts, layout),
     {.i = 0},
     0,
     0,
     layouts,
     NULL,
     "lamp layout of the crops (classify, eval)"},
    {"features",
     CW_OPT_BOOL,
     offsetof(struct signal_opts, features),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "classify: print each crop's features instead (for tools/fit_light_model.py)"},
    {"json",
     CW_OPT_BOOL,
     offsetof(struct signal_opts, json),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "eval: print the result as a JSON object"},
    {"scene",
     CW_OPT_STRING,
     offsetof(struct signal_opts, scene),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "read: the scene whose signal heads to read"},
    {"out",
     CW_OPT_STRING,
     offsetof(struct signal_opts, out),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "read: where to write frame,time_s,<head>... (default: standard output)"},
    {NULL},
};

static void build_table(void)
{
    int n = 0;
    for (const struct cw_option *o = own_options; o->name; o++)
        signal_options[n++] = *o;
    for (const struct cw_option *o = cw_signals_options; o->name; o++) {
        signal_options[n] = *o;
        signal_options[n].offset += offsetof(struct signal_opts, sig);
        n++;
    }
    signal_options[n].name = NULL;
}

const struct cw_command cw__cmd_signal_desc = {
    "signal", "classify <crop.jpg>... | eval <dir> | read <video> --scene s.json",
    "read signal heads from pictures: classify crops, score on a labelled folder "
    "(dir/red, dir/yellow, dir/green), or follow a scene's heads through a video",
    cw__cmd_signal};

static int classify_one(const char *path, const struct signal_opts *o, int *state, float *conf)
{
    uint8_t *rgb;
    int w, h;
    if (cw_jpeg_read_rgb(path, &rgb, &w, &h))
        return -1;
    if (o->features) {
        float f[CW_LIGHT_FEATURES];
        cw_light_features(rgb, w, h, w * 3, o->layout, f);
        printf("%s", path);
        for (int k = 0; k < CW_LIGHT_FEATURES; k++)
            printf(",%.6f", f[k]);
        printf("\n");
    }
    *state = cw_light_classify_rgb(rgb, w, h, w * 3, o->layout, conf);
    free(rgb);
    return 0;
}

static int eval_dir(const char *dir, const struct signal_opts *o)
{
    static const char *const classes[] = {"red", "yellow", "green"};
    int confusion[3][CW_LIGHT_COUNT] = {{0}}, total = 0, right = 0;
    for (int c = 0; c < 3; c++) {
        char sub[4096];
        snprintf(sub, sizeof(sub), "%s/%s", dir, classes[c]);
        DIR *d = opendir(sub);
        if (!d) {
            cw_log_error("signal", "%s: cannot open; eval wants %s/red, %s/yellow and %s/green",
                         sub, dir, dir, dir);
            return CW_EXIT_FAIL;
        }
        for (struct dirent *e; (e = readdir(d));) {
            size_t n = strlen(e->d_name);
            if (n < 5 || (strcmp(e->d_name + n - 4, ".jpg") && strcmp(e->d_name + n - 4, ".png")))
                continue;
            char path[8192];
            int state;
            float conf;
            snprintf(path, sizeof(path), "%s/%s", sub, e->d_name);
            if (classify_one(path, o, &state, &conf)) {
                closedir(d);
                return CW_EXIT_FAIL;
            }
            confusion[c][state]++;
            total++;
            right += state == CW_LIGHT_RED + c;
        }
        closedir(d);
    }
    if (!total) {
        cw_log_error("signal", "%s: no .jpg crops under red/, yellow/, green/", dir);
        return CW_EXIT_FAIL;
    }
    if (o->json) {
        printf("{\"crops\":%d,\"right\":%d,\"accuracy\":%.6f,\"confusion\":{", total, right,
               (double)right / total);
        for (int c = 0; c < 3; c++) {
            printf("%s\"%s\":{", c ? "," : "", classes[c]);
            for (int k = 1; k < CW_LIGHT_COUNT; k++)
                printf("%s\"%s\":%d", k > 1 ? "," : "", cw_light_name(k), confusion[c][k]);
            printf("}");
        }
        printf("}}\n");
    } else {
        printf("%d crops, %d right: %.2f %%\n", total, right, 100.0 * right / total);
        printf("truth \\ read   off  red  yellow  green\n");
        for (int c = 0; c < 3; c++)
            printf("%-12s %5d %4d %7d %6d\n", classes[c], confusion[c][CW_LIGHT_OFF],
                   confusion[c][CW_LIGHT_RED], confusion[c][CW_LIGHT_YELLOW],
                   confusion[c][CW_LIGHT_GREEN]);
    }
    return CW_EXIT_OK;
}

/* Writes the rows of frames @*done up to @upto. */
static void emit(FILE *out, const struct cw_scene *scene, struct cw_signals *sig, bool raw_only,
                 const int64_t *times, const int64_t *index, const uint8_t *raw, size_t *done,
                 size_t upto)
{
    for (size_t i = *done; i < upto; i++) {
        fprintf(out, "%" PRId64 ",%.3f", index[i], times[i] / 1e9);
        for (int k = 0; k < scene->n_signals; k++) {
            struct cw_signal_status st;
            cw_signals_get(sig, k, times[i], &st);
            fprintf(out, ",%s", cw_light_name(raw_only ? raw[i * scene->n_signals + k] : st.state));
        }
        fprintf(out, "\n");
    }
    *done = upto > *done ? upto : *done;
}

/* Every head of the scene, frame by frame: the timeline's state at each frame (dated back to
 * where each change began, so a frame is written once no later reading can change it), or with
 * --raw each frame's reading. */
static int read_video(char *input, const struct signal_opts *o)
{
    struct cw_scene *scene = NULL;
    struct cw_source *src = NULL;
    struct cw_signals *sig = NULL;
    struct cw_source_config sc;
    uint8_t *scratch = NULL, *raw = NULL;
    int64_t *times = NULL, *index = NULL;
    size_t nf = 0, cap = 0, scratch_len = 0;
    FILE *out = stdout;
    char *plan = NULL;
    int ret = CW_EXIT_FAIL, err;
    if (!o->scene) {
        fprintf(stderr,
                "usage: crosswatch signal read <video> --scene s.json [--out states.csv]\n");
        return CW_EXIT_USAGE;
    }
    if (cw_scene_load(o->scene, &scene))
        return CW_EXIT_FAIL;
    if (!scene->n_signals) {
        cw_log_error("signal", "%s: the scene has no signal heads", o->scene);
        goto out;
    }
    for (int k = 0; k < scene->n_signals; k++)
        if (scene->signals[k].has_region) {
            size_t need = (size_t)(scene->signals[k].region.w + 2) *
                          (size_t)(scene->signals[k].region.h + 2) * 3;
            scratch_len = need > scratch_len ? need : scratch_len;
        }
    scratch = malloc(scratch_len + 1);
    sig = cw_signals_new(scene, &o->sig);
    if (!scratch || !sig)
        goto out;
    if (o->plan) {
        size_t len;
        if (cw__read_file("signal", o->plan, 1 << 20, &plan, &len) ||
            cw_signals_load_plan(sig, plan, o->plan, 0))
            goto out;
    }
    if (o->listen && cw_signals_listen_udp(sig, o->listen, NULL))
        goto out;
    cw_options_defaults(cw_source_options, &sc);
    sc.input = input;
    sc.ring_seconds = 0;
    if (cw_source_open(&sc, &src))
        goto out;
    if (o->out && !(out = fopen(o->out, "w"))) {
        out = stdout;
        cw_log_error("signal", "%s: cannot write", o->out);
        goto out;
    }
    fprintf(out, "frame,time_s");
    for (int k = 0; k < scene->n_signals; k++)
        fprintf(out, ",%s", scene->signals[k].id);
    fprintf(out, "\n");
    /* a frame's state is final once later readings can no longer date a change back past it */
    int64_t settle = (int64_t)((o->sig.debounce_s + o->sig.flash_s + 1) * 1e9);
    size_t done = 0;
    struct cw_frame *fr;
    while ((err = cw_source_read(src, &fr)) == 0) {
        if (nf == cap) {
            cap = cap ? 2 * cap : 1024;
            int64_t *t = realloc(times, cap * sizeof(*t)), *i = realloc(index, cap * sizeof(*i));
            uint8_t *r = realloc(raw, cap * (size_t)scene->n_signals);
            times = t ? t : times, index = i ? i : index, raw = r ? r : raw;
            if (!t || !i || !r) {
                cw_frame_unref(&fr);
                goto out;
            }
        }
        times[nf] = fr->time_ns;
        index[nf] = fr->index;
        for (int k = 0; k < scene->n_signals; k++) {
            const struct cw_signal_head *h = &scene->signals[k];
            raw[nf * scene->n_signals + k] =
                (uint8_t)(h->has_region ? cw_light_classify_frame(fr, &h->region, h->layout,
                                                                  scratch, scratch_len, NULL)
                                        : CW_LIGHT_UNKNOWN);
        }
        cw_signals_read_frame(sig, fr, fr->time_ns);
        nf++;
        cw_frame_unref(&fr);
        size_t final = done;
        while (final < nf && times[nf - 1] - times[final] > settle)
            final++;
        emit(out, scene, sig, o->raw, times, index, raw, &done, final);
    }
    if (err != CW_EOF)
        goto out;
    emit(out, scene, sig, o->raw, times, index, raw, &done, nf);
    ret = CW_EXIT_OK;
out:
    if (out != stdout && fclose(out) != 0) {
        cw_log_error("signal", "%s: write failed (disk full?)", o->out);
        ret = CW_EXIT_FAIL;
    }
    free(plan);
    free(times);
    free(index);
    free(raw);
    free(scratch);
    cw_signals_free(sig);
    cw_source_free(src);
    cw_scene_free(scene);
    return ret;
}

int cw__cmd_signal(int argc, char **argv)
{
    struct signal_opts o;
    char **pos = calloc(MAX_FILES, sizeof(*pos));
    int n, ret;
    bool help;
    if (!pos)
        return CW_EXIT_FAIL;
    build_table();
    cw_options_defaults(signal_options, &o);
    ret = cw__cli_parse(signal_options, &o, argc, argv, "signal", pos, MAX_FILES, &n, &help);
    if (ret || help || n < 1) {
        if (help)
            cw__cli_usage(&cw__cmd_signal_desc, signal_options);
        else if (!ret)
            fprintf(stderr, "usage: crosswatch signal classify <crop.jpg>... | eval <dir> | read "
                            "<video> --scene s.json\n");
        ret = help ? CW_EXIT_OK : ret ? ret : CW_EXIT_USAGE;
        goto out;
    }
    if (!strcmp(pos[0], "classify") && n > 1) {
        ret = CW_EXIT_OK;
        for (int i = 1; i < n; i++) {
            int state;
            float conf;
            if (classify_one(pos[i], &o, &state, &conf)) {
                ret = CW_EXIT_FAIL;
                continue;
            }
            if (!o.features)
                printf("%s,%s,%.3f\n", pos[i], cw_light_name(state), conf);
        }
    } else if (!strcmp(pos[0], "eval") && n == 2) {
        ret = eval_dir(pos[1], &o);
    } else if (!strcmp(pos[0], "read") && n == 2) {
        ret = read_video(pos[1], &o);
    } else {
        fprintf(stderr, "usage: crosswatch signal classify <crop.jpg>... | eval <dir> | read "
                        "<video> --scene s.json\n");
        ret = CW_EXIT_USAGE;
    }
out:
    cw_options_release(signal_options, &o);
    free(pos);
    return ret;
}

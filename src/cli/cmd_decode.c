/* crosswatch decode: run an input through crosswatch's input path (demux, packet ring, decode,
 * analysis image) and report throughput and faults. What a camera's box must sustain before any
 * analysis, and the path that the decode benchmark measures. */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "cli/cli.h"
#include "crosswatch/clock.h"
#include "crosswatch/error.h"
#include "crosswatch/log.h"
#include "crosswatch/source.h"

struct decode_opts {
    struct cw_source_config src;
    int max_frames;
    bool json;
};

/* The source's table, followed by this command's own. */
static struct cw_option decode_options[32];

static const struct cw_option own_options[] = {
    {"max_frames",
     CW_OPT_INT,
     offsetof(struct decode_opts, max_frames),
     {.i = 0},
     0,
     INT32_MAX,
     NULL,
     NULL,
     "stop after this many frames; 0 reads to the end"},
    {"json",
     CW_OPT_BOOL,
     offsetof(struct decode_opts, json),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "print the report as one JSON object"},
    {NULL},
};

const struct cw_command cw__cmd_decode_desc = {
    "decode", "<input>",
    "decode an input through crosswatch's input path and report frames/s, errors and "
    "reconnects",
    cw__cmd_decode};

static void build_table(void)
{
    int n = 0;
    for (const struct cw_option *o = cw_source_options; o->name; o++)
        if (o->type != CW_OPT_STRING) /* input is the positional argument */
            decode_options[n++] = *o;
    for (const struct cw_option *o = own_options; o->name; o++)
        decode_options[n++] = *o;
    decode_options[n].name = NULL;
}

static void *signal_thread(void *arg)
{
    struct cw_source *src = arg;
    sigset_t set;
    int sig;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1); /* sent by ourselves to end this thread */
    if (sigwait(&set, &sig) == 0 && sig != SIGUSR1)
        cw_source_cancel(src);
    return NULL;
}

int cw__cmd_decode(int argc, char **argv)
{
    struct decode_opts o = {0};
    struct cw_source *src;
    struct cw_source_stats st;
    struct cw_frame *f;
    pthread_t sig_tid;
    sigset_t set;
    char *pos[1];
    int n, ret, err = 0;
    bool help;
    int64_t t0, t1, frames = 0;
    uint64_t grey_sum = 0;

    build_table();
    cw_options_defaults(cw_source_options, &o.src);
    cw_options_defaults(own_options, &o);
    ret = cw__cli_parse(decode_options, &o, argc, argv, "decode", pos, 1, &n, &help);
    if (ret || help || n != 1) {
        if (help)
            cw__cli_usage(&cw__cmd_decode_desc, decode_options);
        else if (!ret)
            fprintf(stderr, "usage: crosswatch decode <input> [options]; see --help\n");
        cw_options_release(cw_source_options, &o.src);
        return help ? CW_EXIT_OK : CW_EXIT_USAGE;
    }
    o.src.input = pos[0];

    /* Signals go to one thread that cancels the source, so reads end cleanly on Ctrl-C. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    t0 = cw_clock_mono_ns();
    if (cw_source_open(&o.src, &src))
        return CW_EXIT_FAIL;
    pthread_create(&sig_tid, NULL, signal_thread, src);
    while (!o.max_frames || frames < o.max_frames) {
        err = cw_source_read(src, &f);
        if (err)
            break;
        /* Touch the analysis image so the work cannot be skipped. */
        grey_sum += f->grey.data[(f->grey.height / 2) * f->grey.stride + f->grey.width / 2];
        frames++;
        cw_frame_unref(&f);
    }
    t1 = cw_clock_mono_ns();
    pthread_kill(sig_tid, SIGUSR1);
    pthread_join(sig_tid, NULL);

    const struct cw_source_info *info = cw_source_get_info(src);
    double secs = (double)(t1 - t0) / 1e9;
    cw_source_get_stats(src, &st);
    if (o.json)
        printf("{\"frames\":%" PRId64 ",\"seconds\":%.6f,\"fps\":%.3f,\"width\":%d,\"height\":%d,"
               "\"analysis_width\":%d,\"analysis_height\":%d,\"decode_errors\":%" PRIu64
               ",\"damaged\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"reconnects\":%" PRIu64
               ",\"end\":\"%s\"}\n",
               frames, secs, frames / secs, info->width, info->height, info->analysis_width,
               info->analysis_height, st.decode_errors, st.damaged, st.dropped, st.reconnects,
               err == 0 || err == CW_EOF ? "complete" : cw_strerror(err));
    else
        printf("decoded %" PRId64 " frames of %dx%d (analysis %dx%d) in %.3f s: %.1f frames/s; "
               "%" PRIu64 " decode errors, %" PRIu64 " damaged, %" PRIu64 " dropped, %" PRIu64
               " reconnects\n",
               frames, info->width, info->height, info->analysis_width, info->analysis_height, secs,
               frames / secs, st.decode_errors, st.damaged, st.dropped, st.reconnects);
    cw_log_debug("decode", "grey checksum %" PRIu64, grey_sum);
    cw_source_free(src);
    return err == 0 || err == CW_EOF || err == CW_ECANCELED ? CW_EXIT_OK : CW_EXIT_FAIL;
}

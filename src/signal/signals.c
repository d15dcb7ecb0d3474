/* Signal state over time: readings from the picture, the controller or a plan, debounced into a
 * timeline per head. */
#include "crosswatch/signals.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crosswatch/clock.h"
#include "crosswatch/error.h"
#include "crosswatch/log.h"
#include "crosswatch/scene.h"

#define MOD     "signal"
#define HISTORY 256 /* transitions kept per head */

#define OFS(f) offsetof(struct cw_signals_config, f)
const struct cw_option cw_signals_options[] = {
    {"debounce_s",
     CW_OPT_DOUBLE,
     OFS(debounce_s),
     {.d = 0.3},
     0,
     10,
     NULL,
     "s",
     "a new signal state must hold this long to be believed"},
    {"grace_s",
     CW_OPT_DOUBLE,
     OFS(grace_s),
     {.d = 0.5},
     0,
     10,
     NULL,
     "s",
     "red younger than this is \"just turned red\""},
    {"flash_s",
     CW_OPT_DOUBLE,
     OFS(flash_s),
     {.d = 1.2},
     0,
     10,
     NULL,
     "s",
     "green and dark alternating within this counts as a flashing green (clearance)"},
    {"stale_s",
     CW_OPT_DOUBLE,
     OFS(stale_s),
     {.d = 5},
     0.1,
     3600,
     NULL,
     "s",
     "with no reading for this long a head is unknown"},
    {NULL},
};

struct transition {
    int64_t since_ns;
    int8_t state, source;
};

struct plan {
    bool on;
    double cycle_s, offset_s, g0, g, y;
    int64_t origin_ns;
};

/* What each third of a head looks like with its lamp dark, learnt as it runs: a floor that
 * falls within seconds and rises very slowly (slower than the longest red lasts), so a lamp is
 * lit when its third stands well above the floor. Heads against green trees or a bright sky, whose
 * background alone would pass for a lamp, are read right this way. */
#define FLOOR_RISE_COLOUR 1e-4 /* per second */
#define FLOOR_RISE_BRIGHT 5e-4
#define FLOOR_FALL_S      2.0  /* time constant of the fall: a passing vehicle does not drag it */
#define CEIL_RISE_S       1.0  /* a ceiling follows a lamp coming on within a second */
#define CEIL_FALL         1e-3 /* per second, towards the floor */
#define LIT_COLOUR        0.05 /* above the floor, and above half-way to the ceiling */
#define LIT_BRIGHT        0.15

struct floor {
    bool init, learned;
    float colour[3], bright[3], first_colour[3];
    float colour_lit[3], bright_lit[3]; /* what each third looks like lit: a ceiling */
    int64_t last_ns;
};

struct head {
    struct transition hist[HISTORY];
    struct floor floor;
    int nhist; /* transitions ever; the ring holds the last HISTORY */
    int cand;  /* state waiting to be believed, or -1 */
    int64_t cand_ns;
    int cand_source;
    bool flashing;
    int64_t last_green_ns, last_dark_ns, last_ns;
    struct plan plan;
};

struct cw_signals {
    struct cw_signals_config cfg;
    const struct cw_scene *scene;
    struct head *heads;
    int n;
    uint8_t *scratch;
    size_t scratch_len;
    pthread_mutex_t mu;
    atomic_ulong messages, refused;
    /* UDP listener */
    int sock;
    int stop_pipe[2];
    pthread_t thread;
    bool listening;
};

struct cw_signals *cw_signals_new(const struct cw_scene *scene, const struct cw_signals_config *cfg)
{
    struct cw_signals *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->cfg = *cfg;
    s->scene = scene;
    s->n = scene->n_signals;
    s->sock = -1;
    s->heads = calloc((size_t)(s->n ? s->n : 1), sizeof(*s->heads));
    for (int k = 0; k < s->n; k++) {
        const struct cw_signal_head *h = &scene->signals[k];
        s->heads[k].cand = -1;
        s->heads[k].last_green_ns = s->heads[k].last_dark_ns = INT64_MIN / 2;
        s->heads[k].last_ns = INT64_MIN / 2;
        if (h->has_region) {
            size_t need = (size_t)(h->region.w + 2) * (size_t)(h->region.h + 2) * 3;
            s->scratch_len = need > s->scratch_len ? need : s->scratch_len;
        }
    }
    s->scratch = s->scratch_len ? malloc(s->scratch_len) : NULL;
    if (!s->heads || (s->scratch_len && !s->scratch)) {
        free(s->heads);
        free(s->scratch);
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    return s;
}

void cw_signals_free(struct cw_signals *s)
{
    if (!s)
        return;
    if (s->listening) {
        if (write(s->stop_pipe[1], "x", 1) < 0)
            cw_log_warn(MOD, "cannot wake the UDP listener: %s", strerror(errno));
        pthread_join(s->thread, NULL);
        close(s->stop_pipe[0]);
        close(s->stop_pipe[1]);
    }
    if (s->sock >= 0)
        close(s->sock);
    pthread_mutex_destroy(&s->mu);
    free(s->heads);
    free(s->scratch);
    free(s);
}

static void push(struct head *h, int state, int64_t since, int source)
{
    h->hist[h->nhist % HISTORY] = (struct transition){since, (int8_t)state, (int8_t)source};
    h->nhist++;
}

static int current(const struct head *h)
{
    return h->nhist ? h->hist[(h->nhist - 1) % HISTORY].state : CW_LIGHT_UNKNOWN;
}

/* Debounce and flashing, under the lock. */
static void feed_locked(struct cw_signals *s, int k, int state, int64_t t, int source)
{
    struct head *h = &s->heads[k];
    int64_t flash = (int64_t)(s->cfg.flash_s * 1e9), hold = (int64_t)(s->cfg.debounce_s * 1e9);
    if (state == CW_LIGHT_UNKNOWN)
        return;
    h->last_ns = t;
    int e = state;
    if (state == CW_LIGHT_GREEN)
        h->last_green_ns = t;
    if (state == CW_LIGHT_OFF) {
        h->last_dark_ns = t;
        /* dark right after green: the green is flashing, the clearance interval */
        if (t - h->last_green_ns < flash && (current(h) == CW_LIGHT_GREEN || h->flashing)) {
            e = CW_LIGHT_YELLOW;
            h->flashing = true;
        }
    } else if (state == CW_LIGHT_GREEN && h->flashing && t - h->last_dark_ns < flash) {
        e = CW_LIGHT_YELLOW;
    } else if (state != CW_LIGHT_GREEN) {
        h->flashing = false;
    }
    if (e == current(h)) {
        h->cand = -1;
        return;
    }
    if (e != h->cand) {
        h->cand = e;
        h->cand_ns = t;
        h->cand_source = source;
    }
    /* the controller says what the lamps do: only the picture needs confirming */
    if (t - h->cand_ns >= hold || !h->nhist || source == CW_SIGNAL_SOURCE_CONTROLLER) {
        push(h, e, h->cand_ns, h->cand_source);
        h->cand = -1;
    }
}

void cw_signals_feed(struct cw_signals *s, int head, int state, int64_t t_ns, int source)
{
    if (head < 0 || head >= s->n)
        return;
    pthread_mutex_lock(&s->mu);
    feed_locked(s, head, state, t_ns, source);
    pthread_mutex_unlock(&s->mu);
}

/* A reading from a head's features: dark when no third stands above its floor (once a lamp has
 * been seen going dark, so the floors mean something), else the model's colour. */
static int read_head(struct floor *fl, const float f[CW_LIGHT_FEATURES], int layout, int64_t t)
{
    double dt = fl->init ? (t - fl->last_ns) / 1e9 : 0;
    bool any = false;
    if (dt < 0)
        dt = 0;
    for (int k = 0; k < 3; k++) {
        float c = f[6 * k] + f[6 * k + 1] + f[6 * k + 2], b = f[6 * k + 3];
        if (!fl->init) {
            fl->colour[k] = fl->first_colour[k] = fl->colour_lit[k] = c;
            fl->bright[k] = fl->bright_lit[k] = b;
        }
        float need_c = fmaxf(LIT_COLOUR, 0.5f * (fl->colour_lit[k] - fl->colour[k]));
        float need_b = fmaxf(LIT_BRIGHT, 0.5f * (fl->bright_lit[k] - fl->bright[k]));
        any |= c - fl->colour[k] > need_c || b - fl->bright[k] > need_b;
        float fall = (float)fmin(1, dt / FLOOR_FALL_S), rise = (float)fmin(1, dt / CEIL_RISE_S);
        fl->colour[k] = c < fl->colour[k]
                            ? fl->colour[k] + fall * (c - fl->colour[k])
                            : fminf(c, fl->colour[k] + (float)(FLOOR_RISE_COLOUR * dt));
        fl->bright[k] = b < fl->bright[k]
                            ? fl->bright[k] + fall * (b - fl->bright[k])
                            : fminf(b, fl->bright[k] + (float)(FLOOR_RISE_BRIGHT * dt));
        fl->colour_lit[k] = c > fl->colour_lit[k]
                                ? fl->colour_lit[k] + rise * (c - fl->colour_lit[k])
                                : fmaxf(fl->colour[k], fl->colour_lit[k] - (float)(CEIL_FALL * dt));
        fl->bright_lit[k] = b > fl->bright_lit[k]
                                ? fl->bright_lit[k] + rise * (b - fl->bright_lit[k])
                                : fmaxf(fl->bright[k], fl->bright_lit[k] - (float)(CEIL_FALL * dt));
        if (fl->first_colour[k] - c > LIT_COLOUR)
            fl->learned = true;
    }
    fl->init = true;
    fl->last_ns = t;
    if (fl->learned && !any)
        return CW_LIGHT_OFF;
    return cw_light_classify_features(f, layout, NULL);
}

int cw_signals_read_frame(struct cw_signals *s, const struct cw_frame *f, int64_t t_ns)
{
    float feat[CW_LIGHT_FEATURES];
    for (int k = 0; k < s->n; k++) {
        const struct cw_signal_head *h = &s->scene->signals[k];
        if (!h->has_region || s->heads[k].plan.on)
            continue;
        /* the scene's pixels are those of camera.width × height; a stream at another size
         * (a resolution change, a sub-stream) is read at the same place */
        struct cw_box region = h->region;
        const struct cw_camera *cam = &s->scene->camera;
        if (cam->width > 0 && cam->height > 0 &&
            (f->width != cam->width || f->height != cam->height)) {
            double sx = (double)f->width / cam->width, sy = (double)f->height / cam->height;
            region = (struct cw_box){region.x * sx, region.y * sy, region.w * sx, region.h * sy};
            if ((size_t)(region.w + 2) * (size_t)(region.h + 2) * 3 > s->scratch_len)
                continue;
        }
        if (!cw_light_frame_features(f, &region, h->layout, s->scratch, s->scratch_len, feat))
            continue;
        pthread_mutex_lock(&s->mu);
        int state = read_head(&s->heads[k].floor, feat, h->layout, t_ns);
        feed_locked(s, k, state, t_ns, CW_SIGNAL_SOURCE_PICTURE);
        pthread_mutex_unlock(&s->mu);
    }
    return 0;
}

int cw_signals_find(const struct cw_signals *s, const char *id)
{
    for (int k = 0; k < s->n; k++)
        if (!strcmp(s->scene->signals[k].id, id) ||
            (s->scene->signals[k].external_id[0] && !strcmp(s->scene->signals[k].external_id, id)))
            return k;
    return -1;
}

int cw_signals_message(struct cw_signals *s, const char *json, size_t len, int64_t now_ns)
{
    cJSON *root = cJSON_ParseWithLength(json, len);
    int err = CW_EINVAL;
    atomic_fetch_add(&s->messages, 1);
    if (!cJSON_IsObject(root)) {
        cw_log_error(MOD, "controller message is not a JSON object: '%.60s'", json);
        goto out;
    }
    const cJSON *phase = cJSON_GetObjectItemCaseSensitive(root, "phase");
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(root, "state");
    const cJSON *time = cJSON_GetObjectItemCaseSensitive(root, "time_ms");
    if (!cJSON_IsString(phase) || !cJSON_IsString(state)) {
        cw_log_error(MOD, "controller message needs \"phase\" and \"state\" strings: '%.60s'",
                     json);
        goto out;
    }
    int k = cw_signals_find(s, phase->valuestring);
    if (k < 0) {
        cw_log_error(MOD,
                     "controller message: phase '%s' is no signal head's id or external_id "
                     "in the scene",
                     phase->valuestring);
        goto out;
    }
    int st = cw_light_parse(state->valuestring);
    if (st <= CW_LIGHT_UNKNOWN) {
        cw_log_error(MOD, "controller message: state '%s' is not red, yellow, green or off",
                     state->valuestring);
        goto out;
    }
    int64_t t = now_ns;
    if (time) {
        if (!cJSON_IsNumber(time) || !isfinite(time->valuedouble) || time->valuedouble < 0 ||
            time->valuedouble > 1e15) {
            cw_log_error(MOD, "controller message: time_ms must be milliseconds since 1970");
            goto out;
        }
        t = (int64_t)(time->valuedouble * 1e6);
    }
    cw_signals_feed(s, k, st, t, CW_SIGNAL_SOURCE_CONTROLLER);
    err = 0;
out:
    if (err)
        atomic_fetch_add(&s->refused, 1);
    cJSON_Delete(root);
    return err;
}

void cw_signals_counts(const struct cw_signals *s, uint64_t *messages, uint64_t *refused)
{
    *messages = atomic_load(&s->messages);
    *refused = atomic_load(&s->refused);
}

static int plan_number(const cJSON *obj, const char *key, const char *name, const char *path,
                       double lo, double hi, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi)) {
        cw_log_error(MOD, "%s: %s%s: needs a number from %g to %g", name, path, key, lo, hi);
        return CW_EINVAL;
    }
    *out = v->valuedouble;
    return 0;
}

int cw_signals_load_plan(struct cw_signals *s, const char *json, const char *name,
                         int64_t origin_ns)
{
    cJSON *root = cJSON_Parse(json);
    double cycle, offset;
    int err = CW_EINVAL;
    struct plan plans[CW_SCENE_MAX_ITEMS] = {{0}};
    if (!cJSON_IsObject(root)) {
        cw_log_error(MOD, "%s: not a JSON object", name);
        goto out;
    }
    if (plan_number(root, "cycle_s", name, "", 1, 3600, &cycle) ||
        plan_number(root, "offset_s", name, "", 0, 3600, &offset))
        goto out;
    const cJSON *phases = cJSON_GetObjectItemCaseSensitive(root, "phases"), *p;
    if (!cJSON_IsArray(phases) || !cJSON_GetArraySize(phases)) {
        cw_log_error(MOD, "%s: phases: needs a list of phases", name);
        goto out;
    }
    int i = 0;
    cJSON_ArrayForEach(p, phases)
    {
        char path[64];
        double g0, g, y;
        snprintf(path, sizeof(path), "phases[%d].", i);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(p, "id");
        if (!cJSON_IsString(id)) {
            cw_log_error(MOD, "%s: %sid: needs the signal head's id", name, path);
            goto out;
        }
        int k = cw_signals_find(s, id->valuestring);
        if (k < 0) {
            cw_log_error(MOD, "%s: %sid: '%s' is no signal head's id or external_id in the scene",
                         name, path, id->valuestring);
            goto out;
        }
        if (plan_number(p, "green_start_s", name, path, 0, cycle, &g0) ||
            plan_number(p, "green_s", name, path, 0, cycle, &g) ||
            plan_number(p, "yellow_s", name, path, 0, cycle, &y))
            goto out;
        if (g + y > cycle) {
            cw_log_error(MOD, "%s: %s: green_s + yellow_s is longer than the cycle (%g s)", name,
                         path, cycle);
            goto out;
        }
        plans[k] = (struct plan){true, cycle, offset, g0, g, y, origin_ns};
        i++;
    }
    pthread_mutex_lock(&s->mu);
    for (int k = 0; k < s->n; k++)
        if (plans[k].on)
            s->heads[k].plan = plans[k];
    pthread_mutex_unlock(&s->mu);
    err = 0;
out:
    cJSON_Delete(root);
    return err;
}

/* The plan's state at @t, and since when. */
static int plan_state(const struct plan *p, int64_t t, int64_t *since)
{
    double ts = (t - p->origin_ns) / 1e9, c = fmod(ts + p->offset_s, p->cycle_s);
    if (c < 0)
        c += p->cycle_s;
    double start;
    int state;
    /* the phase may wrap past the end of the cycle */
    double rel = fmod(c - p->g0 + p->cycle_s, p->cycle_s);
    if (rel < p->g) {
        state = CW_LIGHT_GREEN;
        start = rel;
    } else if (rel < p->g + p->y) {
        state = CW_LIGHT_YELLOW;
        start = rel - p->g;
    } else {
        state = CW_LIGHT_RED;
        start = rel - p->g - p->y;
    }
    *since = t - (int64_t)(start * 1e9);
    return state;
}

int cw_signals_get(struct cw_signals *s, int head, int64_t t_ns, struct cw_signal_status *out)
{
    if (head < 0 || head >= s->n)
        return CW_EINVAL;
    pthread_mutex_lock(&s->mu);
    const struct head *h = &s->heads[head];
    *out = (struct cw_signal_status){CW_LIGHT_UNKNOWN, t_ns, 0, false, CW_SIGNAL_SOURCE_NONE};
    if (h->plan.on) {
        out->state = plan_state(&h->plan, t_ns, &out->since_ns);
        out->source = CW_SIGNAL_SOURCE_PLAN;
    } else if (h->nhist && t_ns - h->last_ns <= (int64_t)(s->cfg.stale_s * 1e9)) {
        int lo = h->nhist > HISTORY ? h->nhist - HISTORY : 0;
        for (int i = h->nhist - 1; i >= lo; i--) {
            const struct transition *tr = &h->hist[i % HISTORY];
            if (tr->since_ns <= t_ns) {
                out->state = tr->state;
                out->since_ns = tr->since_ns;
                out->source = tr->source;
                break;
            }
        }
    }
    pthread_mutex_unlock(&s->mu);
    out->age_s = (t_ns - out->since_ns) / 1e9;
    out->in_grace = out->state == CW_LIGHT_RED && out->age_s < s->cfg.grace_s;
    return 0;
}

/* ---- the UDP listener ---- */

static void *listen_thread(void *arg)
{
    struct cw_signals *s = arg;
    char buf[2048];
    struct pollfd pf[2] = {{s->sock, POLLIN, 0}, {s->stop_pipe[0], POLLIN, 0}};
    for (;;) {
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            cw_log_error(MOD, "UDP listener stopped: %s", strerror(errno));
            break;
        }
        if (pf[1].revents)
            break;
        if (!(pf[0].revents & POLLIN))
            continue;
        ssize_t n = recv(s->sock, buf, sizeof(buf) - 1, 0);
        if (n <= 0)
            continue;
        buf[n] = 0;
        cw_signals_message(s, buf, (size_t)n, cw_clock_wall_ns());
    }
    return NULL;
}

int cw_signals_listen_udp(struct cw_signals *s, const char *addr, int *port_out)
{
    char host[256];
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr || (size_t)(colon - addr) >= sizeof(host) || !colon[1]) {
        cw_log_error(MOD, "listen address '%s' should be host:port, e.g. 127.0.0.1:5005", addr);
        return CW_EINVAL;
    }
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = 0;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM}, *ai;
    int rc = getaddrinfo(host, colon + 1, &hints, &ai);
    if (rc) {
        cw_log_error(MOD, "listen address '%s': %s", addr, gai_strerror(rc));
        return CW_EINVAL;
    }
    s->sock = socket(ai->ai_family, SOCK_DGRAM, 0);
    if (s->sock < 0 || bind(s->sock, ai->ai_addr, ai->ai_addrlen) < 0) {
        cw_log_error(MOD,
                     "cannot listen for controller messages on udp %s: %s; is the port in "
                     "use?",
                     addr, strerror(errno));
        freeaddrinfo(ai);
        return CW_ECONNECT;
    }
    freeaddrinfo(ai);
    if (port_out) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        getsockname(s->sock, (struct sockaddr *)&ss, &sl);
        *port_out = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                                  : ((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    if (pipe(s->stop_pipe) || pthread_create(&s->thread, NULL, listen_thread, s)) {
        cw_log_error(MOD, "cannot start the UDP listener thread");
        return CW_ECONNECT;
    }
    s->listening = true;
    return 0;
}

/* The site file of `crosswatch run`. */
#include <cjson/cJSON.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "crosswatch/error.h"
#include "crosswatch/log.h"
#include "crosswatch/run.h"
#include "crosswatch/source.h"

#define MOD "run"

/* A path from the site file: relative ones are taken from the file's folder; URLs as they are. */
static char *resolve(const char *dir, const char *p)
{
    if (!p)
        return NULL;
    if (p[0] == '/' || cw_input_is_live(p) || !strcmp(dir, "."))
        return strdup(p);
    size_t n = strlen(dir) + strlen(p) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s", dir, p);
    return s;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(j) ? j->valuestring : NULL;
}

int cw_run_config_load(const char *path, struct cw_run_config *out)
{
    char *text, dirbuf[4096];
    size_t len;
    int err = cw__read_file(MOD, path, 1 << 20, &text, &len);
    memset(out, 0, sizeof(*out));
    if (err)
        return err;
    snprintf(dirbuf, sizeof(dirbuf), "%s", path);
    const char *dir = dirname(dirbuf);
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!cJSON_IsObject(root)) {
        const char *at = cJSON_GetErrorPtr();
        int line = 1;
        for (const char *p = text; at && p < at && p < text + len; p++)
            line += *p == '\n';
        cw_log_error(MOD, "%s: not a JSON object (check the syntax on line %d)", path, line);
        cJSON_Delete(root);
        free(text);
        return CW_EFORMAT;
    }
    free(text);
    cw_options_defaults(cw_evidence_options, &out->evi);
    cw_options_defaults(cw_retention_options, &out->retention);
    out->retention_s = 60;
    out->evidence = true;
    out->health_s = 60;
    err = 0;
    const char *s = str(root, "store");
    out->store = resolve(dir, s ? s : "events.db");
    s = str(root, "evidence_dir");
    out->evidence_dir = resolve(dir, s ? s : "evidence");
    s = str(root, "metrics");
    out->metrics = s ? strdup(s) : NULL;
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, "health_s");
    if (cJSON_IsNumber(j))
        out->health_s = j->valuedouble > 0 ? j->valuedouble : 60;
    j = cJSON_GetObjectItemCaseSensitive(root, "evidence");
    if (cJSON_IsBool(j))
        out->evidence = cJSON_IsTrue(j);
    j = cJSON_GetObjectItemCaseSensitive(root, "privacy");
    if (cJSON_IsBool(j))
        out->evi.privacy = cJSON_IsTrue(j);
    const cJSON *ret = cJSON_GetObjectItemCaseSensitive(root, "retention");
    if (cJSON_IsObject(ret)) {
        const char *keys[] = {"days", "budget_mb", "min_free_mb", "every_s"};
        double *dst[] = {&out->retention.days, &out->retention.budget_mb,
                         &out->retention.min_free_mb, &out->retention_s};
        for (int i = 0; i < 4; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(ret, keys[i]);
            if (v && (!cJSON_IsNumber(v) || v->valuedouble < 0)) {
                cw_log_error(MOD, "%s: retention.%s: expected a number >= 0", path, keys[i]);
                err = CW_EINVAL;
            } else if (v) {
                *dst[i] = v->valuedouble;
            }
        }
    }
    const cJSON *cams = cJSON_GetObjectItemCaseSensitive(root, "cameras"), *c;
    if (!cJSON_IsArray(cams) || cJSON_GetArraySize(cams) == 0) {
        cw_log_error(MOD, "%s: cameras: expected a list of cameras ({\"scene\": …, \"input\": …})",
                     path);
        err = CW_EINVAL;
    }
    int k = 0;
    cJSON_ArrayForEach(c, cams)
    {
        if (k == CW_RUN_MAX_CAMERAS) {
            cw_log_error(MOD, "%s: cameras: at most %d per process", path, CW_RUN_MAX_CAMERAS);
            err = CW_EINVAL;
            break;
        }
        struct cw_run_camera_config *cc = &out->cameras[k];
        if (!cJSON_IsObject(c) || !str(c, "scene")) {
            cw_log_error(MOD, "%s: cameras[%d]: needs \"scene\" (the scene file)", path, k);
            err = CW_EINVAL;
            k++;
            continue;
        }
        cc->scene = resolve(dir, str(c, "scene"));
        cc->input = resolve(dir, str(c, "input"));
        cc->id = str(c, "id") ? strdup(str(c, "id")) : NULL;
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(c, "loop");
        cc->loop = cJSON_IsTrue(l);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "threads");
        cc->threads = cJSON_IsNumber(t) ? t->valueint : 1;
        for (int q = 0; q < k && cc->id; q++)
            if (out->cameras[q].id && !strcmp(out->cameras[q].id, cc->id)) {
                cw_log_error(MOD, "%s: cameras[%d]: id \"%s\" is used twice", path, k, cc->id);
                err = CW_EINVAL;
            }
        k++;
    }
    out->ncameras = k;
    cJSON_Delete(root);
    if (err)
        cw_run_config_free(out);
    return err;
}

void cw_run_config_free(struct cw_run_config *cfg)
{
    for (int i = 0; i < cfg->ncameras; i++) {
        free(cfg->cameras[i].id);
        free(cfg->cameras[i].input);
        free(cfg->cameras[i].scene);
    }
    free(cfg->store);
    free(cfg->evidence_dir);
    free(cfg->metrics);
    cw_options_release(cw_evidence_options, &cfg->evi);
    memset(cfg, 0, sizeof(*cfg));
}

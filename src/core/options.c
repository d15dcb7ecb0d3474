#include "crosswatch/options.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "crosswatch/error.h"
#include "crosswatch/log.h"

#define FIELD(obj, opt, type) ((type *)((char *)(obj) + (opt)->offset))

static bool has_range(const struct cw_option *o)
{
    return o->min != o->max;
}

static const char *type_name(const struct cw_option *o)
{
    switch (o->type) {
    case CW_OPT_BOOL:
        return "bool";
    case CW_OPT_INT:
        return "int";
    case CW_OPT_DOUBLE:
        return "number";
    case CW_OPT_STRING:
        return "string";
    case CW_OPT_ENUM:
        return "choice";
    }
    return "?";
}

void cw_options_defaults(const struct cw_option *table, void *obj)
{
    for (const struct cw_option *o = table; o->name; o++) {
        switch (o->type) {
        case CW_OPT_BOOL:
            *FIELD(obj, o, bool) = o->def.b;
            break;
        case CW_OPT_INT:
            *FIELD(obj, o, int) = (int)o->def.i;
            break;
        case CW_OPT_DOUBLE:
            *FIELD(obj, o, double) = o->def.d;
            break;
        case CW_OPT_ENUM:
            *FIELD(obj, o, int) = (int)o->def.i;
            break;
        case CW_OPT_STRING:
            /* A default that cannot be copied stays NULL: callers treat NULL as "unset". */
            *FIELD(obj, o, char *) = o->def.s ? strdup(o->def.s) : NULL;
            break;
        }
    }
}

void cw_options_release(const struct cw_option *table, void *obj)
{
    for (const struct cw_option *o = table; o->name; o++) {
        if (o->type == CW_OPT_STRING) {
            free(*FIELD(obj, o, char *));
            *FIELD(obj, o, char *) = NULL;
        }
    }
}

const struct cw_option *cw_options_find(const struct cw_option *table, const char *name)
{
    for (const struct cw_option *o = table; o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

/* Writes "a, b, c" into buf. */
static void join_choices(const struct cw_option *o, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = 0;
    for (const char *const *c = o->choices; c && *c && n < size; c++)
        n += (size_t)snprintf(buf + n, size - n, "%s%s", c == o->choices ? "" : ", ", *c);
}

static int check_range(const struct cw_option *o, double v, const char *where, const char *path)
{
    if (isnan(v) || (has_range(o) && (v < o->min || v > o->max))) {
        cw_log_error("config", "%s%s%s: %g is out of range; use %g..%g%s%s", where, path, o->name,
                     v, o->min, o->max, o->unit ? " " : "", o->unit ? o->unit : "");
        return CW_EINVAL;
    }
    return 0;
}

static int set_enum(const struct cw_option *o, void *obj, const char *value, const char *where,
                    const char *path)
{
    char list[512];
    for (int i = 0; o->choices && o->choices[i]; i++) {
        if (strcmp(o->choices[i], value) == 0) {
            *FIELD(obj, o, int) = i;
            return 0;
        }
    }
    join_choices(o, list, sizeof(list));
    cw_log_error("config", "%s%s%s: unknown value '%s'; use one of: %s", where, path, o->name,
                 value, list);
    return CW_EINVAL;
}

static int set_string(const struct cw_option *o, void *obj, const char *value)
{
    char *copy = strdup(value);
    if (!copy) {
        cw_log_error("config", "out of memory");
        return CW_ENOMEM;
    }
    free(*FIELD(obj, o, char *));
    *FIELD(obj, o, char *) = copy;
    return 0;
}

int cw_options_set(const struct cw_option *table, void *obj, const char *name, const char *value,
                   const char *where)
{
    const struct cw_option *o = cw_options_find(table, name);
    char *end;
    char prefix[256];

    snprintf(prefix, sizeof(prefix), "%s: --", where ? where : "crosswatch");
    if (!o) {
        cw_log_error("config", "%s%s: unknown option (see --help)", prefix, name);
        return CW_EINVAL;
    }
    if (!value) {
        cw_log_error("config", "%s%s: needs a value", prefix, name);
        return CW_EINVAL;
    }
    switch (o->type) {
    case CW_OPT_BOOL:
        if (!strcmp(value, "true") || !strcmp(value, "1") || !strcmp(value, "yes"))
            *FIELD(obj, o, bool) = true;
        else if (!strcmp(value, "false") || !strcmp(value, "0") || !strcmp(value, "no"))
            *FIELD(obj, o, bool) = false;
        else {
            cw_log_error("config", "%s%s: '%s' is not true or false", prefix, name, value);
            return CW_EINVAL;
        }
        return 0;
    case CW_OPT_INT: {
        long long v;
        errno = 0;
        v = strtoll(value, &end, 10);
        if (errno || end == value || *end || v < INT32_MIN || v > INT32_MAX) {
            cw_log_error("config", "%s%s: '%s' is not a whole number", prefix, name, value);
            return CW_EINVAL;
        }
        if (check_range(o, (double)v, prefix, ""))
            return CW_EINVAL;
        *FIELD(obj, o, int) = (int)v;
        return 0;
    }
    case CW_OPT_DOUBLE: {
        double v;
        errno = 0;
        v = strtod(value, &end);
        if (errno || end == value || *end || !isfinite(v)) {
            cw_log_error("config", "%s%s: '%s' is not a number", prefix, name, value);
            return CW_EINVAL;
        }
        if (check_range(o, v, prefix, ""))
            return CW_EINVAL;
        *FIELD(obj, o, double) = v;
        return 0;
    }
    case CW_OPT_ENUM:
        return set_enum(o, obj, value, prefix, "");
    case CW_OPT_STRING:
        return set_string(o, obj, value);
    }
    return CW_EINVAL;
}

static bool in_list(const char *const *list, const char *name)
{
    for (; list && *list; list++)
        if (strcmp(*list, name) == 0)
            return true;
    return false;
}

static int set_from_json(const struct cw_option *o, void *obj, const cJSON *item, const char *where,
                         const char *path)
{
    switch (o->type) {
    case CW_OPT_BOOL:
        if (!cJSON_IsBool(item))
            break;
        *FIELD(obj, o, bool) = cJSON_IsTrue(item);
        return 0;
    case CW_OPT_INT: {
        double v;
        if (!cJSON_IsNumber(item))
            break;
        v = item->valuedouble;
        if (v != floor(v) || fabs(v) > INT32_MAX) {
            cw_log_error("config", "%s%s%s: %g is not a whole number", where, path, o->name, v);
            return CW_EINVAL;
        }
        if (check_range(o, v, where, path))
            return CW_EINVAL;
        *FIELD(obj, o, int) = (int)v;
        return 0;
    }
    case CW_OPT_DOUBLE:
        if (!cJSON_IsNumber(item))
            break;
        if (check_range(o, item->valuedouble, where, path))
            return CW_EINVAL;
        *FIELD(obj, o, double) = item->valuedouble;
        return 0;
    case CW_OPT_ENUM:
        if (!cJSON_IsString(item))
            break;
        return set_enum(o, obj, item->valuestring, where, path);
    case CW_OPT_STRING:
        if (!cJSON_IsString(item))
            break;
        return set_string(o, obj, item->valuestring);
    }
    cw_log_error("config", "%s%s%s: expected a %s", where, path, o->name, type_name(o));
    return CW_EINVAL;
}

int cw_options_from_json(const struct cw_option *table, void *obj, const struct cJSON *json,
                         const char *where, const char *path, const char *const *ignore)
{
    char dotted[512];
    int ret = 0;

    if (!where)
        where = "";
    if (!path)
        path = "";
    snprintf(dotted, sizeof(dotted), "%s%s", path, *path ? "." : "");
    if (!cJSON_IsObject(json)) {
        cw_log_error("config", "%s%s: expected an object", where, *path ? path : "(top level)");
        return CW_EINVAL;
    }
    for (const cJSON *item = json->child; item; item = item->next) {
        const struct cw_option *o;
        if (!item->string || in_list(ignore, item->string))
            continue;
        o = cw_options_find(table, item->string);
        if (!o) {
            cw_log_error("config", "%s%s%s: unknown setting", where, dotted, item->string);
            ret = CW_EINVAL;
            continue;
        }
        if (set_from_json(o, obj, item, where, dotted))
            ret = CW_EINVAL;
    }
    for (const struct cw_option *o = table; o->name; o++) {
        if ((o->flags & CW_OPT_REQUIRED) && !cJSON_GetObjectItemCaseSensitive(json, o->name)) {
            cw_log_error("config", "%s%s%s: required", where, dotted, o->name);
            ret = CW_EINVAL;
        }
    }
    return ret;
}

static void format_default(const struct cw_option *o, char *buf, size_t size)
{
    if (o->flags & CW_OPT_REQUIRED) {
        snprintf(buf, size, "required");
        return;
    }
    switch (o->type) {
    case CW_OPT_BOOL:
        snprintf(buf, size, "%s", o->def.b ? "true" : "false");
        break;
    case CW_OPT_INT:
        snprintf(buf, size, "%lld", (long long)o->def.i);
        break;
    case CW_OPT_DOUBLE:
        snprintf(buf, size, "%g", o->def.d);
        break;
    case CW_OPT_STRING:
        snprintf(buf, size, "%s", o->def.s ? o->def.s : "(none)");
        break;
    case CW_OPT_ENUM:
        snprintf(buf, size, "%s", o->choices[o->def.i]);
        break;
    }
}

void cw_options_print_help(const struct cw_option *table, FILE *out)
{
    for (const struct cw_option *o = table; o->name; o++) {
        char left[96], def[128], extra[512];
        size_t n;
        if (o->type == CW_OPT_BOOL)
            snprintf(left, sizeof(left), "--%s, --no-%s", o->name, o->name);
        else
            snprintf(left, sizeof(left), "--%s=<%s>", o->name, type_name(o));
        format_default(o, def, sizeof(def));
        n = (size_t)snprintf(extra, sizeof(extra), "%s%s%s%s",
                             (o->flags & CW_OPT_REQUIRED) ? "" : "default ", def,
                             o->unit && o->type != CW_OPT_ENUM ? " " : "",
                             o->unit && o->type != CW_OPT_ENUM ? o->unit : "");
        if (has_range(o) && (o->type == CW_OPT_INT || o->type == CW_OPT_DOUBLE))
            snprintf(extra + n, sizeof(extra) - n, "; %g..%g", o->min, o->max);
        if (o->type == CW_OPT_ENUM) {
            char list[400];
            join_choices(o, list, sizeof(list));
            snprintf(extra + n, sizeof(extra) - n, "; one of %s", list);
        }
        fprintf(out, "  %-30s %s (%s)\n", left, o->help, extra);
    }
}

void cw_options_print_markdown(const struct cw_option *table, FILE *out)
{
    fprintf(out, "| name | type | default | range or values | description |\n");
    fprintf(out, "|---|---|---|---|---|\n");
    for (const struct cw_option *o = table; o->name; o++) {
        char def[128], range[400] = "";
        format_default(o, def, sizeof(def));
        if (o->type == CW_OPT_ENUM)
            join_choices(o, range, sizeof(range));
        else if (has_range(o))
            snprintf(range, sizeof(range), "%g..%g", o->min, o->max);
        bool unit = o->unit && !(o->flags & CW_OPT_REQUIRED);
        fprintf(out, "| `%s` | %s | %s%s%s | %s | %s |\n", o->name, type_name(o), def,
                unit ? " " : "", unit ? o->unit : "", range, o->help);
    }
}

/* crosswatch — typed option tables.
 *
 * Every configurable thing (a command, a stage, a scene section, a rule) declares its options once,
 * as a table of struct cw_option ending in an entry with a NULL name. The same table fills a
 * struct with defaults, reads the JSON of a scene or site file into it, reads command-line
 * arguments, checks types and ranges, prints --help and writes the Markdown reference in docs/.
 */
#ifndef CROSSWATCH_OPTIONS_H
#define CROSSWATCH_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cJSON;

enum cw_opt_type {
    CW_OPT_BOOL,   /* stored as bool */
    CW_OPT_INT,    /* stored as int */
    CW_OPT_DOUBLE, /* stored as double */
    CW_OPT_STRING, /* stored as char *, heap-owned by the struct; free with cw_options_release */
    CW_OPT_ENUM,   /* stored as int: the index of the value in choices */
};

struct cw_option {
    const char *name;
    enum cw_opt_type type;
    size_t offset; /* offsetof() the field in the target struct */
    union {
        bool b;
        int64_t i;
        double d;
        const char *s;
    } def;                      /* default (ENUM: index into choices) */
    double min, max;            /* INT and DOUBLE range, inclusive; ignored when min == max */
    const char *const *choices; /* ENUM: the accepted names, NULL-terminated */
    const char *unit;           /* shown in help ("s", "m", "px"); may be NULL */
    const char *help;           /* one line */
    unsigned flags;             /* CW_OPT_REQUIRED … */
};

/* The option must be present in JSON input (its default only fills the struct). */
#define CW_OPT_REQUIRED 1u

/* Fills every option of @obj with its default. Call before any of the setters below. Members
 * the table does not name are left as they are: zero the struct first. */
void cw_options_defaults(const struct cw_option *table, void *obj);

/* Frees what the table's STRING options of @obj hold and sets them to NULL. */
void cw_options_release(const struct cw_option *table, void *obj);

/* The entry named @name, or NULL. */
const struct cw_option *cw_options_find(const struct cw_option *table, const char *name);

/* Sets one option from text (a command-line value). @where prefixes the error message, e.g.
 * "probe". Logs and returns CW_EINVAL on an unknown name, a bad value or one out of range. */
int cw_options_set(const struct cw_option *table, void *obj, const char *name, const char *value,
                   const char *where);

/* Reads the members of JSON object @json into @obj. Every problem is logged on its own line as
 * "<where><path>.<name>: <what is wrong>", and all members are checked before returning; a
 * missing CW_OPT_REQUIRED member is one such problem.
 * Members whose names are in @ignore (NULL-terminated, may be NULL) are skipped: the caller reads
 * them itself. Returns 0, or CW_EINVAL when anything was wrong. */
int cw_options_from_json(const struct cw_option *table, void *obj, const struct cJSON *json,
                         const char *where, const char *path, const char *const *ignore);

/* Prints one line per option: "  --name=<type>  help (default: x; range a..b)". */
void cw_options_print_help(const struct cw_option *table, FILE *out);

/* Prints a Markdown table of the options (name, type, default, range, description). */
void cw_options_print_markdown(const struct cw_option *table, FILE *out);

#endif

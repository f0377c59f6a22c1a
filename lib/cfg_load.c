/* retl — configuration loading: libconfig into the structures of cfg.h, see cfg_load.h. */
#include "cfg_load.h"
#include "cfg_secret.h"
#include "cfg_value.h"
#include "mem.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void retl_cfg_problem(struct retl_cfg_loader *ld, int line, const char *where, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        ld->nerrs++;
        if (ld->nerrs > 50)
                return;
        if (retl_buf_len(&ld->errs) &&
            retl_buf_putc(&ld->errs, '\n'))
                return;
        if (retl_buf_printf(&ld->errs, "%s:%d: %s%s%s", ld->path, line, where,
                            *where ? ": " : "", msg))
                return;
}

int retl_cfg_load_file(config_t *lc, const char *path, char *errstr, size_t errstr_size)
{
        if (config_read_file(lc, path))
                return 0;
        if (config_error_type(lc) == CONFIG_ERR_FILE_IO)
                snprintf(errstr, errstr_size, "%s: cannot read: %s", path, strerror(errno));
        else
                snprintf(errstr, errstr_size, "%s:%d: syntax error: %s",
                         config_error_file(lc) ? config_error_file(lc) : path,
                         config_error_line(lc), config_error_text(lc));
        return -1;
}

static const char *type_word(enum retl_cfg_ftype t)
{
        switch (t) {
        case F_INT: case F_INT64: return "an integer";
        case F_BOOL: return "true or false";
        default: return "a string";
        }
}

/* The line a group starts on: libconfig gives a group the line where it
 * ends, so take its first member's. */
static int group_line(config_setting_t *grp)
{
        config_setting_t *first;
        if (!grp)
                return 0;
        first = config_setting_length(grp) > 0 ? config_setting_get_elem(grp, 0) : NULL;
        return (int)config_setting_source_line(first ? first : grp);
}

void retl_cfg_load_group(struct retl_cfg_loader *ld, config_setting_t *grp, const char *gname,
                         const struct retl_cfg_section *sec, void *obj, int check_unknown)
{
        const struct retl_cfg_field *fields = sec->fields;
        size_t nfields = sec->nfields;
        char where[256];
        int gline = group_line(grp);

        /* Unknown settings are errors: a typo must not silently become a default. */
        for (int i = 0; check_unknown && grp && i < config_setting_length(grp); i++) {
                config_setting_t *st = config_setting_get_elem(grp, (unsigned)i);
                const char *n = config_setting_name(st);
                int known = 0;
                if (!n)
                        continue;
                for (size_t f = 0; f < nfields && !known; f++) {
                        size_t fl = strlen(fields[f].name);
                        if (!strcmp(n, fields[f].name))
                                known = 1;
                        else if (fields[f].type == F_SECRET && !strncmp(n, fields[f].name, fl) &&
                                 (!strcmp(n + fl, "_env") || !strcmp(n + fl, "_file")))
                                known = 1;
                }
                if (!strcmp(gname, "kafka") && !strcmp(n, "properties"))
                        known = 1;
                if (!known) {
                        snprintf(where, sizeof(where), "%s%s%s", gname, *gname ? "." : "", n);
                        retl_cfg_problem(ld, config_setting_source_line(st), where,
                                         "unknown setting");
                }
        }

        for (size_t f = 0; f < nfields; f++) {
                const struct retl_cfg_field *fd = &fields[f];
                void *dst = (char *)obj + fd->off;
                config_setting_t *st = grp ? config_setting_get_member(grp, fd->name) : NULL;
                int line = st ? (int)config_setting_source_line(st) : gline;
                char val[64];
                const char *sval = NULL;
                long long ival = 0;

                snprintf(where, sizeof(where), "%s%s%s", gname, *gname ? "." : "", fd->name);

                if (fd->type == F_SECRET) {
                        char n_env[128], n_file[128];
                        config_setting_t *se, *sf;
                        snprintf(n_env, sizeof(n_env), "%s_env", fd->name);
                        snprintf(n_file, sizeof(n_file), "%s_file", fd->name);
                        se = grp ? config_setting_get_member(grp, n_env) : NULL;
                        sf = grp ? config_setting_get_member(grp, n_file) : NULL;
                        if (st) {
                                retl_cfg_problem(ld, line, where,
                                                 "secrets are never written in the file: use %s = "
                                                 "\"VARIABLE\" or %s = \"/path\"", n_env, n_file);
                        } else if (se && sf) {
                                retl_cfg_problem(ld, config_setting_source_line(se), where,
                                                 "give %s or %s, not both", n_env, n_file);
                        } else if (se || sf) {
                                snprintf(where, sizeof(where), "%s%s%s", gname,
                                         *gname ? "." : "", se ? n_env : n_file);
                                if (config_setting_type(se ? se : sf) != CONFIG_TYPE_STRING)
                                        retl_cfg_problem(ld,
                                                         config_setting_source_line(se ? se : sf),
                                                         where, "must be a string");
                                else {
                                        *RETL_CFG_SECRET_REF(dst) = retl_cfg_secret_ref(
                                                se ? n_env : n_file,
                                                config_setting_get_string(se ? se : sf), !se);
                                        if (ld->need & ld->section)
                                                *(char **)dst = retl_cfg_secret_read(
                                                        ld, se ? se : sf, where, sf != NULL);
                                }
                        } else if (fd->required) {
                                retl_cfg_problem(ld, gline, where, "missing (set %s or %s)", n_env,
                                                 n_file);
                        }
                        continue;
                }

                if (!st) {
                        if (!fd->def) {
                                if (fd->required)
                                        retl_cfg_problem(ld, gline, where,
                                                         "missing required setting");
                                continue;
                        }
                        sval = fd->def;
                } else {
                        int t = config_setting_type(st);
                        switch (fd->type) {
                        case F_INT: case F_INT64:
                                if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
                                        retl_cfg_problem(ld, line, where, "must be %s",
                                                         type_word(fd->type));
                                        continue;
                                }
                                ival = config_setting_get_int64(st);
                                snprintf(val, sizeof(val), "%lld", ival);
                                sval = val;
                                break;
                        case F_BOOL:
                                if (t != CONFIG_TYPE_BOOL) {
                                        retl_cfg_problem(ld, line, where, "must be true or false");
                                        continue;
                                }
                                sval = config_setting_get_bool(st) ? "true" : "false";
                                break;
                        case F_DURATION:
                                if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) {
                                        snprintf(val, sizeof(val), "%lld",
                                                 config_setting_get_int64(st));
                                        sval = val;
                                        break;
                                }
                                /* fallthrough */
                        default:
                                if (t != CONFIG_TYPE_STRING) {
                                        retl_cfg_problem(ld, line, where, "must be a string");
                                        continue;
                                }
                                sval = config_setting_get_string(st);
                        }
                }

                switch (fd->type) {
                case F_STR:
                case F_NAME:
                        if (fd->type == F_NAME && !retl_cfg_value_name_ok(sval)) {
                                retl_cfg_problem(ld, line, where,
                                                 "bad name '%s' (1 to 100 of A-Z a-z 0-9 . _ -)",
                                                 sval);
                                continue;
                        }
                        if (fd->syms) {
                                int ok = 0;
                                for (int k = 0; fd->syms[k]; k++)
                                        ok |= !strcmp(fd->syms[k], sval);
                                if (!ok) {
                                        retl_cfg_problem(ld, line, where, "bad value '%s'", sval);
                                        continue;
                                }
                        }
                        if (st && !*sval && fd->required) {
                                retl_cfg_problem(ld, line, where, "must not be empty");
                                continue;
                        }
                        *(char **)dst = retl_strdup(sval);
                        break;
                case F_ENUM: {
                        int k, found = -1;
                        for (k = 0; fd->syms[k]; k++)
                                if (!strcmp(fd->syms[k], sval))
                                        found = k;
                        if (found < 0) {
                                struct retl_buf alts;
                                retl_buf_init(&alts, 512);
                                for (k = 0; fd->syms[k]; k++)
                                        if (retl_buf_printf(&alts, "%s%s", k ? ", " : "",
                                                            fd->syms[k]))
                                                break;
                                retl_cfg_problem(ld, line, where,
                                                 "bad value '%s' (expected one of: %s)", sval,
                                                 retl_buf_str(&alts));
                                retl_buf_free(&alts);
                                continue;
                        }
                        *(int *)dst = found;
                        break;
                }
                case F_BOOL:
                        *(int *)dst = !strcmp(sval, "true");
                        break;
                case F_INT:
                case F_INT64: {
                        char *end;
                        long long v = strtoll(sval, &end, 10);
                        if (v < fd->min || v > fd->max) {
                                retl_cfg_problem(ld, line, where,
                                                 "%lld is out of range (%lld to %lld)", v,
                                                 (long long)fd->min, (long long)fd->max);
                                continue;
                        }
                        if (fd->type == F_INT)
                                *(int *)dst = (int)v;
                        else
                                *(int64_t *)dst = v;
                        break;
                }
                case F_DURATION: {
                        int64_t s;
                        if (*sval && strspn(sval, "0123456789") == strlen(sval)) {
                                /* a number alone: seconds or minutes? the unit says */
                                int quoted = st && config_setting_type(st) == CONFIG_TYPE_STRING;
                                retl_cfg_problem(ld, line, where,
                                                 "%s%s%s has no unit: write \"%ss\", \"%sm\", "
                                                 "\"%sh\" or \"%sd\"", quoted ? "\"" : "", sval,
                                                 quoted ? "\"" : "", sval, sval, sval, sval);
                                continue;
                        }
                        if (retl_cfg_parse_duration(sval, &s) || s < fd->min || s > fd->max) {
                                retl_cfg_problem(ld, line, where,
                                                 "bad duration '%s' (a number with s, m, h or d, "
                                                 "e.g. \"15m\"; at least 1s, at most 366d)",
                                                 sval);
                                continue;
                        }
                        *(int64_t *)dst = s;
                        break;
                }
                case F_TIME: {
                        int64_t t;
                        if (retl_cfg_parse_time(sval, &t)) {
                                retl_cfg_problem(ld, line, where,
                                                 "bad time '%s' (e.g. \"2024-05-01T12:30:00Z\", "
                                                 "\"2024-05-01 12:30\" or \"now\")", sval);
                                continue;
                        }
                        *(int64_t *)dst = t;
                        break;
                }
                case F_SECRET:
                        break;
                }
        }
}

void retl_cfg_load_kafka_properties(struct retl_cfg_loader *ld, config_setting_t *props,
                                    struct retl_cfg_kafka *k)
{
        int n = props ? config_setting_length(props) : 0;

        if (props && !config_setting_is_group(props)) {
                retl_cfg_problem(ld, config_setting_source_line(props), "kafka.properties",
                                 "must be a group: properties = { security_protocol = \"SSL\"; }");
                return;
        }
        k->props = retl_calloc((size_t)n * 2 + 1, sizeof(char *));
        k->secret_names = retl_calloc((size_t)n + 1, sizeof(char *));
        k->secret_refs = retl_calloc((size_t)n + 1, sizeof(char *));
        for (int i = 0; i < n; i++) {
                config_setting_t *st = config_setting_get_elem(props, (unsigned)i);
                const char *raw = config_setting_name(st);
                char where[256], name[200];
                size_t len = strlen(raw);
                int is_env = len > 4 && !strcmp(raw + len - 4, "_env");
                int is_file = len > 5 && !strcmp(raw + len - 5, "_file");
                char *value = NULL;

                snprintf(where, sizeof(where), "kafka.properties.%s", raw);
                if (is_env)
                        len -= 4;
                else if (is_file)
                        len -= 5;
                if (len >= sizeof(name))
                        len = sizeof(name) - 1;
                for (size_t j = 0; j < len; j++)
                        name[j] = raw[j] == '_' ? '.' : raw[j];
                name[len] = '\0';

                if (is_env || is_file) {
                        if (config_setting_type(st) != CONFIG_TYPE_STRING) {
                                retl_cfg_problem(ld, config_setting_source_line(st), where,
                                                 "must be a string");
                                continue;
                        }
                        k->secret_refs[k->nsecret_refs++] =
                                retl_cfg_secret_ref(raw, config_setting_get_string(st), is_file);
                        if (!(ld->need & RETL_CFG_SECRETS_KAFKA))
                                continue;
                        value = retl_cfg_secret_read(ld, st, where, is_file);
                        if (!value)
                                continue;
                        k->secret_names[k->nsecret_props++] = retl_strdup(name);
                } else {
                        char buf[64];
                        switch (config_setting_type(st)) {
                        case CONFIG_TYPE_STRING:
                                value = retl_strdup(config_setting_get_string(st));
                                break;
                        case CONFIG_TYPE_INT:
                        case CONFIG_TYPE_INT64:
                                snprintf(buf, sizeof(buf), "%lld", config_setting_get_int64(st));
                                value = retl_strdup(buf);
                                break;
                        case CONFIG_TYPE_BOOL:
                                value = retl_strdup(config_setting_get_bool(st) ? "true" : "false");
                                break;
                        default:
                                retl_cfg_problem(ld, config_setting_source_line(st), where,
                                                 "must be a string, an integer or a boolean");
                                continue;
                        }
                        /* A password written in the file is a secret in the wrong place. */
                        if (strstr(name, "password") || strstr(name, "secret") ||
                            strstr(name, "key.pem") || strstr(name, "keystore")) {
                                retl_cfg_problem(ld, config_setting_source_line(st), where,
                                                 "secrets are never written in the file: use "
                                                 "%s_env or %s_file", raw, raw);
                                free(value);
                                continue;
                        }
                }
                k->props[k->nprops * 2] = retl_strdup(name);
                k->props[k->nprops * 2 + 1] = value;
                k->nprops++;
        }
}

void *retl_cfg_load_list(struct retl_cfg_loader *ld, config_t *lc,
                         const struct retl_cfg_section *sec, size_t *np)
{
        config_setting_t *list = config_lookup(lc, sec->name);
        char *arr;
        int n;

        *np = 0;
        if (!list)
                return NULL;
        if (!config_setting_is_list(list) && !config_setting_is_array(list)) {
                retl_cfg_problem(ld, config_setting_source_line(list), sec->name,
                                 "must be a list of groups: %s = ( { ... }, { ... } );", sec->name);
                return NULL;
        }
        n = config_setting_length(list);
        arr = retl_calloc((size_t)n + 1, sec->size);
        for (int i = 0; i < n; i++) {
                config_setting_t *grp = config_setting_get_elem(list, (unsigned)i);
                char gname[160];
                config_setting_t *nm;
                void *obj = arr + (size_t)i * sec->size;

                nm = config_setting_is_group(grp) ? config_setting_get_member(grp, "name") : NULL;
                if (nm && config_setting_type(nm) == CONFIG_TYPE_STRING)
                        snprintf(gname, sizeof(gname), "%s[%d] '%s'", sec->name, i,
                                 config_setting_get_string(nm));
                else
                        snprintf(gname, sizeof(gname), "%s[%d]", sec->name, i);
                if (!config_setting_is_group(grp)) {
                        retl_cfg_problem(ld, config_setting_source_line(grp), gname,
                                         "must be a group { }");
                        continue;
                }
                retl_cfg_load_group(ld, grp, gname, sec, obj, 1);
                /* every list element records its line for later messages */
                if (sec == RETL_CFG_SECTION(WORKSPACES))
                        ((struct retl_cfg_workspace *)obj)->line = group_line(grp);
                else if (sec == RETL_CFG_SECTION(DATABASES))
                        ((struct retl_cfg_database *)obj)->line = group_line(grp);
                else
                        ((struct retl_cfg_sync *)obj)->line = group_line(grp);
        }
        *np = (size_t)n;
        return arr;
}

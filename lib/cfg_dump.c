/* retl — configuration output: `retl config --dump` and `--reference`, from the table. */
#include "cfg.h"
#include "cfg_table.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void dump_string(FILE *out, const char *s)
{
        fputc('"', out);
        for (; *s; s++) {
                if (*s == '"' || *s == '\\')
                        fprintf(out, "\\%c", *s);
                else if (*s == '\n')
                        fputs("\\n", out);
                else
                        fputc(*s, out);
        }
        fputc('"', out);
}

static void dump_group(FILE *out, const struct retl_cfg_section *sec, const void *obj,
                       const char *indent)
{
        for (size_t f = 0; f < sec->nfields; f++) {
                const struct retl_cfg_field *fd = &sec->fields[f];
                const void *src = (const char *)obj + fd->off;
                switch (fd->type) {
                case F_STR:
                case F_NAME:
                        if (!*(char *const *)src)
                                continue;
                        /* api_url derived from region is not written back */
                        if (sec == RETL_CFG_SECTION(WORKSPACES) &&
                            fd->off == offsetof(struct retl_cfg_workspace, api_url) &&
                            ((const struct retl_cfg_workspace *)obj)->region)
                                continue;
                        if (sec == RETL_CFG_SECTION(WORKSPACES) &&
                            fd->off == offsetof(struct retl_cfg_workspace, app_api_url) &&
                            ((const struct retl_cfg_workspace *)obj)->app_api_url_derived)
                                continue;
                        fprintf(out, "%s%s = ", indent, fd->name);
                        dump_string(out, *(char *const *)src);
                        fputs(";\n", out);
                        break;
                case F_SECRET: {
                        const char *ref = *RETL_CFG_SECRET_REF(src);
                        if (ref)
                                fprintf(out, "%s%s;   # secret, %s\n", indent, ref,
                                        *(char *const *)src ? "read" : "not read");
                        break;
                }
                case F_ENUM:
                        fprintf(out, "%s%s = \"%s\";\n", indent, fd->name,
                                fd->syms[*(const int *)src]);
                        break;
                case F_BOOL:
                        fprintf(out, "%s%s = %s;\n", indent, fd->name,
                                *(const int *)src ? "true" : "false");
                        break;
                case F_INT:
                        fprintf(out, "%s%s = %d;\n", indent, fd->name, *(const int *)src);
                        break;
                case F_INT64:
                        fprintf(out, "%s%s = %lldL;\n", indent, fd->name,
                                (long long)*(const int64_t *)src);
                        break;
                case F_DURATION:
                        fprintf(out, "%s%s = \"%llds\";\n", indent, fd->name,
                                (long long)*(const int64_t *)src);
                        break;
                case F_TIME: {
                        char tbuf[32];
                        time_t t = (time_t)*(const int64_t *)src;
                        struct tm tm;
                        if (!t)
                                continue;
                        gmtime_r(&t, &tm);
                        strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%SZ", &tm);
                        fprintf(out, "%s%s = \"%s\";\n", indent, fd->name, tbuf);
                        break;
                }
                }
        }
}

void retl_cfg_dump(const struct retl_cfg *cfg, FILE *out)
{
        fprintf(out, "# %s, as retl reads it, defaults filled in (secrets by reference)\n",
                cfg->path);
        dump_group(out, RETL_CFG_SECTION(TOP), cfg, "");
        fputs("kafka = {\n", out);
        dump_group(out, RETL_CFG_SECTION(KAFKA), &cfg->kafka, "  ");
        fputs("  properties = {\n", out);
        for (size_t i = 0; i < cfg->kafka.nprops; i++) {
                int secret = 0;
                for (size_t j = 0; j < cfg->kafka.nsecret_props; j++)
                        secret |= !strcmp(cfg->kafka.secret_names[j], cfg->kafka.props[i * 2]);
                if (secret)
                        continue; /* shown by reference below */
                fputs("    ", out);
                for (const char *c = cfg->kafka.props[i * 2]; *c; c++)
                        fputc(*c == '.' ? '_' : *c, out);
                fputs(" = ", out);
                dump_string(out, cfg->kafka.props[i * 2 + 1]);
                fputs(";\n", out);
        }
        for (size_t i = 0; i < cfg->kafka.nsecret_refs; i++)
                fprintf(out, "    %s;   # secret\n", cfg->kafka.secret_refs[i]);
        fputs("  };\n};\n", out);
        if (cfg->metrics.listen) {
                fputs("metrics = {\n", out);
                dump_group(out, RETL_CFG_SECTION(METRICS), &cfg->metrics, "  ");
                fputs("};\n", out);
        }
        for (size_t s = RETL_CFG_SEC_WORKSPACES; s < RETL_CFG_NSECTIONS; s++) {
                const struct retl_cfg_section *sec = &retl_cfg_sections[s];
                size_t n = s == RETL_CFG_SEC_WORKSPACES  ? cfg->nworkspaces
                           : s == RETL_CFG_SEC_DATABASES ? cfg->ndatabases
                                                         : cfg->nsyncs;
                const char *base = s == RETL_CFG_SEC_WORKSPACES  ? (const char *)cfg->workspaces
                                   : s == RETL_CFG_SEC_DATABASES ? (const char *)cfg->databases
                                            : (const char *)cfg->syncs;
                fprintf(out, "%s = (\n", sec->name);
                for (size_t i = 0; i < n; i++) {
                        fputs("  {\n", out);
                        dump_group(out, sec, base + i * sec->size, "    ");
                        fprintf(out, "  }%s\n", i + 1 < n ? "," : "");
                }
                fputs(");\n", out);
        }
}

static const char *type_name(enum retl_cfg_ftype t)
{
        switch (t) {
        case F_STR: return "string";
        case F_NAME: return "name";
        case F_INT: return "integer";
        case F_INT64: return "integer (64-bit)";
        case F_BOOL: return "boolean";
        case F_ENUM: return "string (one of)";
        case F_SECRET: return "secret (X_env or X_file)";
        case F_DURATION: return "duration";
        case F_TIME: return "time";
        }
        return "?";
}

void retl_cfg_reference(FILE *out)
{
        for (size_t s = 0; s < RETL_CFG_NSECTIONS; s++) {
                const struct retl_cfg_section *sec = &retl_cfg_sections[s];
                fprintf(out, "\n[%s] %s\n", *sec->name ? sec->name : "(top)", sec->doc);
                for (size_t f = 0; f < sec->nfields; f++) {
                        const struct retl_cfg_field *fd = &sec->fields[f];
                        fprintf(out, "  %-25s %s%s", fd->name, type_name(fd->type),
                                fd->required ? ", required" : "");
                        if (fd->def)
                                fprintf(out, ", default %s", fd->def);
                        if (fd->syms) {
                                fputs(": ", out);
                                for (int k = 0; fd->syms[k]; k++)
                                        fprintf(out, "%s%s", k ? " | " : "", fd->syms[k]);
                        }
                        fprintf(out, "\n  %-25s %s\n", "", fd->doc);
                }
        }
}

/* Unit tests: producer/columns — the column rules, one case per rule. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "producer/columns.h"

#define MAXC 310

/* Builds columns from "name:vtype,name:vtype"; vtype b = boolean, s = string. */
static size_t cols_of(const char *spec, struct retl_source_column *cols, char names[][32])
{
        size_t n = 0;
        const char *p = spec;

        while (*p) {
                const char *e = strchr(p, ',');
                size_t len = e ? (size_t)(e - p) : strlen(p);
                const char *colon = memchr(p, ':', len);
                size_t nl = colon ? (size_t)(colon - p) : len;
                memcpy(names[n], p, nl);
                names[n][nl] = '\0';
                cols[n].name = names[n];
                cols[n].vtype = colon && colon[1] == 'b' ? RETL_V_BOOL : RETL_V_STRING;
                cols[n].type_name = colon && colon[1] == 'b' ? "bit" : "nvarchar(50)";
                n++;
                p += len + (e ? 1 : 0);
        }
        return n;
}

static void test_rules(void **state)
{
        static const struct {
                enum retl_query_kind kind;
                enum retl_ident ident;
                int star;
                const char *cols;
                int problems;
                const char *has;
        } cases[] = {
                {RETL_QK_PEOPLE, RETL_IDENT_ID, 0, "id,email,name", 0, NULL},
                {RETL_QK_PEOPLE, RETL_IDENT_EMAIL, 0, "email,name", 0, NULL},
                {RETL_QK_PEOPLE, RETL_IDENT_ID, 0, "email,name", 1, "no column named 'id'"},
                {RETL_QK_PEOPLE, RETL_IDENT_ID, 0, "email,name", 1, "AS id"},
                {RETL_QK_PEOPLE, RETL_IDENT_EMAIL, 0, "id,name", 1, "no column named 'email'"},
                {RETL_QK_PEOPLE, RETL_IDENT_ID, 1, "email,name", 1, "SELECT * is allowed only"},
                {RETL_QK_PEOPLE, RETL_IDENT_ID, 0, "ID,name", 1, "rename it with ID AS id"},
                {RETL_QK_PEOPLE, RETL_IDENT_ID, 0, "id,Name,name", 1,
                 "columns 2 'Name' and 3 'name' have the same name"},
                {RETL_QK_PEOPLE, RETL_IDENT_ID, 0, "id,", 0, NULL}, /* see the empty case below */
                {RETL_QK_PEOPLE, RETL_IDENT_ID, 0, "id,cio_id,name", 1,
                 "column 'cio_id' cannot be imported: Customer.io generates cio_id"},
                {RETL_QK_PEOPLE, RETL_IDENT_EMAIL, 0, "email,CIO_ID", 1, "column 'CIO_ID' cannot"},
                {RETL_QK_PEOPLE, RETL_IDENT_ID, 0, "id,cio_id_old", 0, NULL},
                {RETL_QK_OBJECTS, RETL_IDENT_ID, 0, "object_id,name", 0, NULL},
                {RETL_QK_OBJECTS, RETL_IDENT_ID, 0, "object_id,object_type_id,name", 0, NULL},
                {RETL_QK_OBJECTS, RETL_IDENT_ID, 0, "id,name", 1, "no column named 'object_id'"},
                {RETL_QK_RELATIONSHIPS, RETL_IDENT_ID, 0, "id,object_id", 0, NULL},
                {RETL_QK_RELATIONSHIPS, RETL_IDENT_EMAIL, 0, "email,object_id,deleted:b,role", 0,
                 NULL},
                {RETL_QK_RELATIONSHIPS, RETL_IDENT_EMAIL, 0, "id,object_id", 1,
                 "no column named 'email'"},
                {RETL_QK_RELATIONSHIPS, RETL_IDENT_ID, 0, "id", 1, "no column named 'object_id'"},
                {RETL_QK_RELATIONSHIPS, RETL_IDENT_ID, 0, "id,object_id,deleted:s", 1,
                 "column 'deleted' must be a bit"},
        };
        struct retl_source_column cols[MAXC];
        static char names[MAXC][32];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct retl_buf b;
                size_t n = cols_of(cases[i].cols, cols, names);
                int np;

                retl_buf_init(&b, 0);
                np = retl_columns_check(cases[i].kind, cases[i].ident, cases[i].star, cols, n, &b);
                if (np != cases[i].problems)
                        fail_msg("case %zu: %d problems: %s", i, np, retl_buf_str(&b));
                if (cases[i].has && !strstr(retl_buf_str(&b), cases[i].has))
                        fail_msg("case %zu: '%s' lacks '%s'", i, retl_buf_str(&b), cases[i].has);
                retl_buf_free(&b);
        }
}

static void test_empty_name_and_too_many(void **state)
{
        struct retl_source_column cols[MAXC];
        static char names[MAXC][32];
        struct retl_buf b;

        memset(cols, 0, sizeof(cols));
        cols[0].name = "id";
        cols[1].name = "";
        cols[0].type_name = cols[1].type_name = "int";
        retl_buf_init(&b, 0);
        assert_int_equal(retl_columns_check(RETL_QK_PEOPLE, RETL_IDENT_ID, 0, cols, 2, &b), 1);
        assert_non_null(strstr(retl_buf_str(&b), "column 2 has no name"));
        assert_non_null(strstr(retl_buf_str(&b), "AS"));
        retl_buf_reset(&b);

        for (int i = 0; i < 301; i++) {
                snprintf(names[i], sizeof(names[i]), i ? "c%d" : "id", i);
                cols[i].name = names[i];
                cols[i].type_name = "int";
        }
        assert_int_equal(retl_columns_check(RETL_QK_PEOPLE, RETL_IDENT_ID, 0, cols, 300, &b), 0);
        assert_int_equal(retl_columns_check(RETL_QK_PEOPLE, RETL_IDENT_ID, 0, cols, 301, &b), 1);
        assert_non_null(strstr(retl_buf_str(&b), "301 columns; at most 300"));
        retl_buf_free(&b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rules),
                cmocka_unit_test(test_empty_name_and_too_many),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

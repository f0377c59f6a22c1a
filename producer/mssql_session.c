/* retl — the extractor's SQL Server session: freetds.conf text and the SET
 * batch after login, see mssql_session.h and producer/README.md
 * "Session settings". */
#include "producer/mssql_session.h"

#include <stdio.h>

enum retl_mssql_tls retl_mssql_session_tls(const struct retl_cfg_database *db)
{
        return db->trust_server_certificate ? RETL_MSSQL_TLS_TRUST : RETL_MSSQL_TLS_VERIFY;
}

int retl_mssql_session_conf(FILE *f, const struct retl_cfg_database *db,
                            enum retl_encryption encryption, enum retl_mssql_tls tls)
{
        fprintf(f, "[retl]\n\thost = %s\n", db->host);
        if (db->instance && *db->instance)
                fprintf(f, "\tinstance = %s\n", db->instance);
        else
                fprintf(f, "\tport = %d\n", db->port);
        /* No `text size` here: FreeTDS would send its own "set textsize"
         * batch after login; SET TEXTSIZE is part of retl's batch instead. */
        fprintf(f, "\ttds version = 7.4\n\tencryption = %s\n\tclient charset = UTF-8\n"
                "\tconnect timeout = %d\n",
                retl_encryption_name(encryption), db->login_timeout_s);
        /* FreeTDS verifies the server's certificate only when `ca file` is
         * set ("system" = GnuTLS's system trust); the host name check (the
         * certificate must name `host`, or hold its IP address) then applies
         * unless turned off. Without `ca file` any certificate is taken. */
        if (encryption != RETL_ENCRYPT_OFF && tls != RETL_MSSQL_TLS_TRUST)
                fprintf(f, "\tca file = %s\n\tcheck certificate hostname = %s\n",
                        db->ca_file && *db->ca_file ? db->ca_file : "system",
                        tls == RETL_MSSQL_TLS_VERIFY ? "yes" : "no");
        return ferror(f) ? -1 : 0;
}

/* Why each setting (producer/README.md "Session settings" says the same):
 * DB-Library logins start with the ANSI options OFF (LOGIN7 OptionFlags2
 * without fODBC, which db-lib clears and does not let us set), unlike ODBC,
 * OLE DB, JDBC and SSMS. With them OFF, SQL Server refuses SELECTs touching
 * indexed views, indexed computed columns or filtered indexes (Msg 1934),
 * reads "name" as a string, matches = NULL, and makes 'a' + NULL 'a'. The
 * first seven SETs are the ones those indexes require (NUMERIC_ROUNDABORT
 * OFF, the default, is the eighth). READ COMMITTED: a row is read only once
 * committed, whatever a login trigger or the database default says;
 * LOCK_TIMEOUT bounds how long a query waits behind a writer's lock (error
 * 1222 then fails the run) instead of holding the sync for query_timeout;
 * TEXTSIZE: (max), text, ntext and image columns arrive whole (DB-Library's
 * default is 4096 bytes). */
int retl_mssql_session_sql(const struct retl_cfg_database *db, char *out, size_t out_size)
{
        int n = snprintf(out, out_size,
                         "SET ANSI_NULLS ON; SET ANSI_PADDING ON; SET ANSI_WARNINGS ON; "
                         "SET CONCAT_NULL_YIELDS_NULL ON; SET QUOTED_IDENTIFIER ON; "
                         "SET ANSI_NULL_DFLT_ON ON; SET ARITHABORT ON; "
                         "SET TRANSACTION ISOLATION LEVEL READ COMMITTED; "
                         "SET LOCK_TIMEOUT %lld; SET TEXTSIZE 2147483647",
                         (long long)db->lock_timeout_s * 1000);
        return n < 0 || (size_t)n >= out_size ? -1 : n;
}

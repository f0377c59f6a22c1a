// Microsoft's JDBC driver (mssql-jdbc) against retl-mssql-standin: a client
// we did not write. Each check prints "ok <name>" or "FAIL <name>: why";
// the exit status is the number of failures (capped at 100). Driven by
// tests/it/0107-mssql-jdbc.sh, which builds the SQLite file and passes the
// ports, the password, the trust store and SQLite's own answers in the
// environment.
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.Objects;

public class StandinCheck {
    static int failures = 0;
    static final String PORT = env("STANDIN_PORT");
    static final String TLS_PORT = env("STANDIN_TLS_PORT");
    static final String PW = env("STANDIN_PW");

    static String env(String k) {
        String v = System.getenv(k);
        if (v == null)
            throw new IllegalStateException("missing environment variable " + k);
        return v;
    }

    static void ok(String name) {
        System.out.println("ok   " + name);
    }

    static void fail(String name, String why) {
        failures++;
        System.out.println("FAIL " + name + ": " + why);
    }

    static void expect(String name, Object want, Object got) {
        if (Objects.equals(want, got))
            ok(name);
        else
            fail(name, "want <" + want + "> got <" + got + ">");
    }

    static String url(String port, String extra) {
        return "jdbc:sqlserver://127.0.0.1:" + port + ";databaseName=jdbcdb;user=loader;password=" + PW
                + ";loginTimeout=10;" + extra;
    }

    static Connection connect() throws SQLException {
        return DriverManager.getConnection(url(PORT, "encrypt=false"));
    }

    interface Body {
        void run() throws Exception;
    }

    /** Runs a group of checks; an exception is one FAIL, not the end. */
    static void group(String name, Body b) {
        try {
            b.run();
        } catch (Exception e) {
            fail(name, "exception " + e);
        }
    }

    /** Expects @p sql to fail with SQL Server error @p number and a message containing @p text. */
    static void expectError(Connection c, String name, String sql, int number, String text) {
        try (Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery(sql)) {
                while (rs.next()) {
                }
            }
            fail(name, "no error; want " + number);
        } catch (SQLException e) {
            if (e.getErrorCode() == number && e.getMessage().contains(text))
                ok(name);
            else
                fail(name, "want " + number + " '" + text + "' got " + e.getErrorCode() + " '"
                        + e.getMessage() + "'");
        }
    }

    /** One value: its SQL Server type name (as the driver reports it) and getString. */
    static void expectValue(Connection c, String name, String sql, String type, String value) {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            if (!rs.next()) {
                fail(name, "no row");
                return;
            }
            String gotType = rs.getMetaData().getColumnTypeName(1);
            String got = rs.getString(1);
            if (!type.equals(gotType))
                fail(name, "type: want " + type + " got " + gotType + " (value <" + got + ">)");
            else if (!Objects.equals(value, got))
                fail(name, "want <" + value + "> got <" + got + ">");
            else
                ok(name);
        } catch (SQLException e) {
            fail(name, "error " + e.getErrorCode() + " " + e.getMessage());
        }
    }

    /** A value whose text changes (the clock): its type, and that it is not NULL. */
    static void expectType(Connection c, String name, String sql, String type) {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            String gotType = rs.getMetaData().getColumnTypeName(1);
            if (!type.equals(gotType) || rs.getObject(1) == null)
                fail(name, "want a " + type + " got " + gotType + " <" + rs.getString(1) + ">");
            else
                ok(name);
        } catch (SQLException e) {
            fail(name, "error " + e.getErrorCode() + " " + e.getMessage());
        }
    }

    static void login() {
        group("login", () -> {
            try (Connection c = connect(); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT name FROM t ORDER BY id")) {
                rs.next();
                expect("login right password", "one", rs.getString(1));
                expect("login database", "jdbcdb", c.getCatalog());
            }
        });
        try (Connection c = DriverManager.getConnection(url(PORT, "encrypt=false").replace(PW, PW + "x"))) {
            fail("login wrong password", "connected");
        } catch (SQLException e) {
            expect("login wrong password", 18456, e.getErrorCode());
        }
        try (Connection c = DriverManager.getConnection(
                url(PORT, "encrypt=false").replace("databaseName=jdbcdb", "databaseName=nosuchdb"))) {
            fail("login unknown database", "connected");
        } catch (SQLException e) {
            expect("login unknown database", 4060, e.getErrorCode());
        }
    }

    static void tls() {
        group("tls trustServerCertificate", () -> {
            try (Connection c = DriverManager.getConnection(
                    url(TLS_PORT, "encrypt=true;trustServerCertificate=true"));
                    Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT name FROM t WHERE id = 2")) {
                rs.next();
                expect("tls trustServerCertificate", "two", rs.getString(1));
            }
        });
        group("tls test CA", () -> {
            String u = "jdbc:sqlserver://localhost:" + TLS_PORT + ";databaseName=jdbcdb;user=loader;password=" + PW
                    + ";loginTimeout=10;encrypt=true"
                    + ";trustServerCertificate=false;trustStore=" + env("TRUSTSTORE")
                    + ";trustStorePassword=" + env("TRUSTSTORE_PW");
            try (Connection c = DriverManager.getConnection(u); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT name FROM t WHERE id = 1")) {
                rs.next();
                expect("tls test CA", "one", rs.getString(1));
            }
        });
        group("tls untrusted", () -> {
            String u = url(TLS_PORT, "encrypt=true;trustServerCertificate=false");
            try (Connection c = DriverManager.getConnection(u)) {
                fail("tls untrusted certificate refused", "connected");
            } catch (SQLException e) {
                ok("tls untrusted certificate refused");
            }
        });
    }

    static void matrix(Connection c) throws SQLException {
        String hundredK = "😀漢字x".repeat(25000);
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT * FROM matrix ORDER BY id")) {
            ResultSetMetaData md = rs.getMetaData();
            String[] want = {"int", "int", "bigint", "decimal", "nvarchar", "datetimeoffset", "datetime2", "datetime",
                    "date", "bit", "float", "uniqueidentifier", "varbinary", "varchar", "time", "money", "nvarchar"};
            String[] got = new String[md.getColumnCount()];
            for (int i = 1; i <= got.length; i++)
                got[i - 1] = md.getColumnTypeName(i);
            expect("matrix column types", Arrays.toString(want), Arrays.toString(got));
            expect("matrix decimal precision", 38, md.getPrecision(4));
            expect("matrix decimal scale", 10, md.getScale(4));
            expect("matrix id NOT NULL", ResultSetMetaData.columnNoNulls, md.isNullable(1));
            expect("matrix i nullable", ResultSetMetaData.columnNullable, md.isNullable(2));

            rs.next(); // row 1: the upper edges
            expect("int max", 2147483647, rs.getInt("i"));
            expect("bigint max", Long.MAX_VALUE, rs.getLong("bi"));
            expect("decimal(38,10)", new BigDecimal("1234567890123456789012345678.0123456789"), rs.getBigDecimal("d"));
            expect("nvarchar(max) 100k emoji+CJK", hundredK, rs.getString("nv"));
            expect("datetimeoffset +05:30", OffsetDateTime.parse("2024-05-01T12:34:56.1234567+05:30"),
                    rs.getObject("dto", OffsetDateTime.class));
            expect("datetime2(7)", LocalDateTime.parse("2024-05-01T12:34:56.1234567"),
                    rs.getObject("dt2", LocalDateTime.class));
            expect("datetime rounded to 1/300 s", LocalDateTime.parse("2024-05-01T12:34:56.790"),
                    rs.getObject("dtm", LocalDateTime.class));
            expect("date max", LocalDate.parse("9999-12-31"), rs.getObject("dte", LocalDate.class));
            expect("bit", true, rs.getBoolean("bt"));
            expect("float max", Double.MAX_VALUE, rs.getDouble("f"));
            expect("uniqueidentifier", "6F9619FF-8B86-D011-B42D-00C04FC964FF", rs.getString("g"));
            expect("varbinary", "00ff10", hex(rs.getBytes("vb")));
            expect("varchar CP1252", "café", rs.getString("vc"));
            expect("time(7)", LocalTime.parse("23:59:59.9999999"), rs.getObject("tm", LocalTime.class));
            expect("money max", new BigDecimal("922337203685477.5807"), rs.getBigDecimal("m"));
            expect("nvarchar emoji+CJK", "𝄞 漢字 😀 ü", rs.getString("nv2"));

            rs.next(); // row 2: NULL everywhere but id
            boolean allNull = true;
            for (int i = 2; i <= got.length; i++)
                allNull &= rs.getObject(i) == null && rs.wasNull();
            expect("NULL in every type", true, allNull);

            rs.next(); // row 3: the lower edges
            expect("int min", Integer.MIN_VALUE, rs.getInt("i"));
            expect("bigint min", Long.MIN_VALUE, rs.getLong("bi"));
            expect("decimal negative tiny", new BigDecimal("-0.0000000001"), rs.getBigDecimal("d"));
            expect("date min", LocalDate.parse("0001-01-01"), rs.getObject("dte", LocalDate.class));
            expect("datetimeoffset negative offset", OffsetDateTime.parse("0001-01-01T00:00:00-14:00"),
                    rs.getObject("dto", OffsetDateTime.class));
            expect("bit false", false, rs.getBoolean("bt"));
            expect("money min", new BigDecimal("-922337203685477.5808"), rs.getBigDecimal("m"));
            expect("empty nvarchar", "", rs.getString("nv"));
            expect("matrix has 3 rows", false, rs.next());
        }
    }

    /** text, ntext, image, xml and sql_variant, as SQL Server sends them. */
    static void legacy(Connection c) throws SQLException {
        String hundredK = "😀漢字x".repeat(25000);
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT id, t, nt, img, x, v FROM legacy ORDER BY id")) {
            ResultSetMetaData md = rs.getMetaData();
            String[] want = {"int", "text", "ntext", "image", "xml", "sql_variant"};
            String[] got = new String[md.getColumnCount()];
            for (int i = 1; i <= got.length; i++)
                got[i - 1] = md.getColumnTypeName(i);
            expect("legacy column types", Arrays.toString(want), Arrays.toString(got));
            rs.next();
            expect("text CP1252", "long text café", rs.getString("t"));
            expect("ntext 100k emoji+CJK", hundredK, rs.getString("nt"));
            expect("image", "00ff10", hex(rs.getBytes("img")));
            expect("xml", "<a b=\"1\">ü 😀</a>", rs.getString("x"));
            expect("sql_variant int", Integer.valueOf(42), rs.getObject("v"));
            rs.next();
            boolean allNull = true;
            for (int i = 2; i <= got.length; i++)
                allNull &= rs.getObject(i) == null && rs.wasNull();
            expect("legacy NULLs", true, allNull);
            rs.next();
            expect("empty text", "", rs.getString("t"));
            expect("empty ntext", "", rs.getString("nt"));
            expect("empty image", "", hex(rs.getBytes("img")));
            expect("sql_variant nvarchar", "nvar ü 😀", rs.getObject("v"));
            rs.next();
            expect("sql_variant float", Double.valueOf(12.5), rs.getObject("v"));
            rs.next();
            expect("sql_variant bigint", Long.valueOf(5000000000L), rs.getObject("v"));
            rs.next();
            Object vb = rs.getObject("v");
            expect("sql_variant varbinary", "0102", vb instanceof byte[] ? hex((byte[]) vb) : String.valueOf(vb));
            expect("legacy has 6 rows", false, rs.next());
        }
        expectError(c, "CAST to xml refused by name", "SELECT CAST('<a/>' AS XML)", 50000,
                "does not support CAST or CONVERT to xml");
    }

    static String hex(byte[] b) {
        if (b == null)
            return null;
        StringBuilder sb = new StringBuilder();
        for (byte x : b)
            sb.append(String.format("%02x", x & 0xff));
        return sb.toString();
    }

    static void cancel(Connection c) throws SQLException {
        // a query still computing its first row, cut off by the driver's
        // query timeout (an ATTENTION after 1 s); the query would run for hours
        try (Statement st = c.createStatement()) {
            st.setQueryTimeout(1);
            long t0 = System.nanoTime();
            try (ResultSet rs = st.executeQuery("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
                    + "WHERE x < 10000000000) SELECT COUNT(*) FROM n")) {
                rs.next();
                fail("cancel while computing", "query finished");
            } catch (SQLException e) {
                long ms = (System.nanoTime() - t0) / 1000000;
                if (e.getMessage().contains("timed out") || e.getMessage().contains("canceled"))
                    ok("cancel while computing (" + ms + " ms): " + e.getMessage());
                else
                    fail("cancel while computing", e.getErrorCode() + " " + e.getMessage());
            }
        }
        // a query streaming rows, cancelled after the first one
        try (Statement st = c.createStatement()) {
            ResultSet rs = st.executeQuery("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
                    + "WHERE x < 10000000000) SELECT x FROM n");
            rs.next();
            expect("streaming first row", 1L, rs.getLong(1));
            expect("recursive CTE column typed from its anchor", "int", rs.getMetaData().getColumnTypeName(1));
            st.cancel();
            long rows = 1;
            try {
                while (rs.next())
                    rows++;
                fail("cancel while streaming", "all rows read after the cancel");
            } catch (SQLException e) {
                if (e.getMessage().contains("canceled"))
                    ok("cancel while streaming (" + rows + " rows before it)");
                else
                    fail("cancel while streaming", e.getErrorCode() + " " + e.getMessage());
            }
        }
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT name FROM t WHERE id = 2")) {
            rs.next();
            expect("connection reused after cancel", "two", rs.getString(1));
        }
    }

    static void prepared(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT id, name FROM t WHERE id >= ? AND name <> ? ORDER BY id")) {
            for (int run = 1; run <= 3; run++) { // sp_executesql, then sp_prepexec, then sp_execute
                ps.setInt(1, 1);
                ps.setString(2, "two");
                try (ResultSet rs = ps.executeQuery()) {
                    StringBuilder sb = new StringBuilder();
                    while (rs.next())
                        sb.append(rs.getInt(1)).append('=').append(rs.getString(2)).append(';');
                    expect("prepared statement run " + run, "1=one;3=drei;", sb.toString());
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM t WHERE name = ?")) {
            ps.setString(1, "ONE");
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                expect("parameter compared case-insensitively", 1, rs.getInt(1));
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT ? + 1, ?, ?")) {
            ps.setLong(1, 41);
            ps.setString(2, "漢字😀");
            ps.setBigDecimal(3, new BigDecimal("12.3450"));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                expect("parameter bigint", 42L, rs.getLong(1));
                expect("parameter nvarchar", "漢字😀", rs.getString(2));
                expect("parameter decimal", new BigDecimal("12.3450"), rs.getBigDecimal(3));
            }
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO t(id, name) VALUES (?, ?)")) {
            ps.setInt(1, 10);
            ps.setString(2, "ten");
            expect("prepared insert count", 1, ps.executeUpdate());
        }
        try (Statement st = c.createStatement()) {
            expect("delete count", 1, st.executeUpdate("DELETE FROM t WHERE id = 10"));
        }
    }

    static void transactions() throws SQLException {
        try (Connection c = connect()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.executeUpdate("INSERT INTO t(id, name) VALUES (20, 'twenty')");
            }
            c.rollback();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM t WHERE id = 20")) {
                rs.next();
                expect("rollback undoes the insert", 0, rs.getInt(1));
            }
            try (Statement st = c.createStatement()) {
                st.executeUpdate("INSERT INTO t(id, name) VALUES (21, 'twenty-one')");
            }
            c.commit();
            c.setAutoCommit(true);
            try (Statement st = c.createStatement()) {
                expect("commit keeps the insert", 1, st.executeUpdate("DELETE FROM t WHERE id = 21"));
            }
        }
    }

    static void million(Connection c) throws SQLException {
        long rows = 0, sum = 0, nulls = 0;
        long t0 = System.nanoTime();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT id, label FROM million")) {
            while (rs.next()) {
                rows++;
                sum += rs.getLong(1);
                if (rs.getString(2) == null)
                    nulls++;
            }
        }
        long ms = Math.max(1, (System.nanoTime() - t0) / 1000000);
        expect("million rows count", Long.parseLong(env("MILLION_COUNT")), rows);
        expect("million rows sum", Long.parseLong(env("MILLION_SUM")), sum);
        expect("million rows NULL labels", Long.parseLong(env("MILLION_NULLS")), nulls);
        System.out.println("     " + rows + " rows in " + ms + " ms (" + rows * 1000 / ms + " rows/s)");
    }

    /** The T-SQL of issue #11, each answer as SQL Server's documentation gives it. */
    static void tsql(Connection c) {
        expectValue(c, "string + string", "SELECT first_name + ' ' + email FROM people WHERE id = 1", "nvarchar",
                "Ada ada@example.com");
        expectValue(c, "CAST AS DATE", "SELECT CAST(created AS DATE) FROM people WHERE id = 1", "date", "2024-05-01");
        expectValue(c, "CAST AS DATETIME", "SELECT CAST(created AS DATETIME) FROM people WHERE id = 1", "datetime",
                "2024-05-01 10:00:00.0");
        expectValue(c, "CAST AS DATETIME2", "SELECT CAST(created AS DATETIME2) FROM people WHERE id = 2",
                "datetime2", "2023-12-31 23:59:59.5000000");
        expectValue(c, "FORMAT yyyy-MM-dd", "SELECT FORMAT(created, 'yyyy-MM-dd') FROM people WHERE id = 1",
                "nvarchar", "2024-05-01");
        expectValue(c, "= is case-insensitive", "SELECT COUNT(*) FROM people WHERE [plan] = 'PRO'", "int", "1");
        expectValue(c, "N'' literal is nvarchar", "SELECT N'héllo'", "nvarchar", "héllo");
        expectValue(c, "N'' compared case-insensitively", "SELECT COUNT(*) FROM t WHERE name = N'ONE'", "int", "1");
        expectValue(c, "IN is case-insensitive", "SELECT COUNT(*) FROM people WHERE [plan] IN ('PRO', 'x')", "int", "1");
        expectValue(c, "SUM(decimal)", "SELECT SUM(amount) FROM people", "decimal", "19.75");
        expectValue(c, "MAX(datetime2)", "SELECT MAX(created) FROM people", "datetime2", "2024-05-01 10:00:00.0000000");
        expectType(c, "GETUTCDATE is datetime", "SELECT GETUTCDATE()", "datetime");
        expectValue(c, "GETUTCDATE is now", "SELECT CASE WHEN ABS(DATEDIFF(second, GETUTCDATE(), SYSUTCDATETIME())) < 5 "
                + "THEN 'yes' ELSE 'no' END", "varchar", "yes");
        expectValue(c, "literal is int", "SELECT 1", "int", "1");
        expectValue(c, "CASE is int", "SELECT CASE WHEN id = 1 THEN 1 ELSE 2 END FROM people WHERE id = 2", "int", "2");
        expectValue(c, "DATEDIFF is int", "SELECT DATEDIFF(day, '2024-01-01', created) FROM people WHERE id = 1",
                "int", "121");
        expectValue(c, "CAST AS NVARCHAR(5) truncates", "SELECT CAST(email AS NVARCHAR(5)) FROM people WHERE id = 1",
                "nvarchar", "ada@e");
        expectError(c, "CAST('12.7' AS INT) is 245", "SELECT CAST('12.7' AS INT)", 245,
                "Conversion failed when converting the varchar value '12.7' to data type int.");
        expectValue(c, "datetime literal with T", "SELECT COUNT(*) FROM people WHERE updated > '2024-05-01T09:00:00'",
                "int", "1");
        expectValue(c, "datetime literal with space",
                "SELECT COUNT(*) FROM people WHERE updated > '2024-05-01 09:00:00'", "int", "1");
        expectValue(c, "datetime compared by instant, not text",
                "SELECT COUNT(*) FROM people WHERE updated >= '2024-05-01 09:30'", "int", "1");
        expectValue(c, "datetime equal in another spelling",
                "SELECT COUNT(*) FROM people WHERE updated = '2024-05-01T09:30:00.000'", "int", "1");
        expectValue(c, "datetime2 BETWEEN dates", "SELECT COUNT(*) FROM people p WHERE p.created BETWEEN "
                + "'2024-05-01' AND '2024-05-02'", "int", "1");
        group("expression typed from the expression", () -> {
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT company_id * 10 FROM people ORDER BY id")) {
                expect("int * int with a NULL first row: type", "int", rs.getMetaData().getColumnTypeName(1));
                rs.next();
                expect("int * int NULL", null, rs.getObject(1));
                rs.next();
                expect("int * int value", 20, rs.getObject(1));
            }
        });
        expectValue(c, "DATEADD with a large int", "SELECT DATEADD(second, 1714550400, '1970-01-01')", "datetime",
                "2024-05-01 08:00:00.0");
        expectValue(c, "CONVERT style 126", "SELECT CONVERT(varchar, updated, 126) FROM people WHERE id = 1",
                "varchar", "2024-05-01T09:30:00");
        expectValue(c, "CONVERT style 120", "SELECT CONVERT(varchar(19), created, 120) FROM people WHERE id = 2",
                "varchar", "2023-12-31 23:59:59");
        expectValue(c, "CONVERT nvarchar(max)", "SELECT CONVERT(nvarchar(max), id) FROM people WHERE id = 2",
                "nvarchar", "2");
        expectValue(c, "CONCAT", "SELECT CONCAT(first_name, NULL, '-', id) FROM people WHERE id = 1", "nvarchar",
                "Ada-1");
        expectValue(c, "CHARINDEX", "SELECT CHARINDEX('@', email) FROM people WHERE id = 1", "int", "4");
        expectValue(c, "LEFT", "SELECT LEFT(email, 3) FROM people WHERE id = 1", "nvarchar", "ada");
        expectValue(c, "RIGHT", "SELECT RIGHT(email, 3) FROM people WHERE id = 1", "nvarchar", "com");
        expectValue(c, "YEAR", "SELECT YEAR(created) FROM people WHERE id = 1", "int", "2024");
        expectValue(c, "MONTH", "SELECT MONTH(created) FROM people WHERE id = 1", "int", "5");
        expectValue(c, "DATEPART month", "SELECT DATEPART(month, created) FROM people WHERE id = 2", "int", "12");
        expectValue(c, "STR", "SELECT STR(12.7)", "varchar", "        13");
        expectValue(c, "TRY_CAST bad", "SELECT TRY_CAST('x' AS INT)", "int", null);
        expectValue(c, "TRY_CAST good", "SELECT TRY_CAST('12' AS INT)", "int", "12");
        expectType(c, "SYSDATETIMEOFFSET is datetimeoffset", "SELECT SYSDATETIMEOFFSET()", "datetimeoffset");
        expectValue(c, "DB_NAME", "SELECT DB_NAME()", "nvarchar", "jdbcdb");
        group("two statements on two lines", () -> {
            try (Statement st = c.createStatement()) {
                st.execute("SELECT 1\nSELECT 2");
                ResultSet rs = st.getResultSet();
                rs.next();
                int a = rs.getInt(1);
                expect("two statements: second result", true, st.getMoreResults());
                rs = st.getResultSet();
                rs.next();
                expect("two statements separated by a newline", "1,2", a + "," + rs.getInt(1));
            }
        });
        expectError(c, "SELECT FROM t is 156", "SELECT FROM t", 156, "Incorrect syntax near the keyword 'FROM'.");
        expectError(c, "missing dbo.x is named dbo.x", "SELECT * FROM dbo.nosuch", 208,
                "Invalid object name 'dbo.nosuch'.");
        expectError(c, "unsupported construct refused by name", "SELECT FORMAT(created, 'D', 'de-DE') FROM people",
                50000, "retl-mssql-standin does not support");
        group("QUOTED_IDENTIFIER", () -> {
            try (Statement st = c.createStatement()) {
                st.execute("SET QUOTED_IDENTIFIER OFF");
                expectValue(c, "QUOTED_IDENTIFIER OFF: \"x\" is a string", "SELECT \"name\" FROM t WHERE id = 1",
                        "varchar", "name");
                st.execute("SET QUOTED_IDENTIFIER ON");
                expectValue(c, "QUOTED_IDENTIFIER ON: \"x\" is a column", "SELECT \"name\" FROM t WHERE id = 1",
                        "nvarchar", "one");
            }
        });
        expectValue(c, "UNION typed by precedence", "SELECT 1 UNION ALL SELECT 2.5 ORDER BY 1 DESC", "decimal", "2.5");
        expectValue(c, "CTE column typed from its expression",
                "WITH l AS (SELECT MAX(created) AS last_created FROM people) SELECT last_created FROM l",
                "datetime2", "2024-05-01 10:00:00.0000000");
        expectValue(c, "CAST(datetime AS varchar) is style 0",
                "SELECT CAST(updated AS varchar(30)) FROM people WHERE id = 1", "varchar", "May  1 2024  9:30AM");
        expectError(c, "IF ... ELSE refused by name", "IF 1 = 1 SELECT 1 ELSE SELECT 2", 50000,
                "retl-mssql-standin does not support IF ... ELSE");
        expectValue(c, "outer join NOT NULL column as nullable",
                "SELECT m.id FROM people p LEFT JOIN matrix m ON m.id = p.id + 100 WHERE p.id = 1", "int", null);
    }

    public static void main(String[] args) throws Exception {
        login();
        tls();
        try (Connection c = connect()) {
            group("type matrix", () -> matrix(c));
            group("legacy types", () -> legacy(c));
            group("cancel", () -> cancel(c));
            group("prepared", () -> prepared(c));
            group("tsql", () -> tsql(c));
            group("million", () -> million(c));
        }
        group("transactions", StandinCheck::transactions);
        System.out.println(failures == 0 ? "all checks passed" : failures + " checks failed");
        System.exit(Math.min(failures, 100));
    }
}

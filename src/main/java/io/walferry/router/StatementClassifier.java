package io.walferry.router;

import net.sf.jsqlparser.expression.AnalyticExpression;
import net.sf.jsqlparser.expression.Function;
import net.sf.jsqlparser.expression.NextValExpression;
import net.sf.jsqlparser.parser.CCJSqlParser;
import net.sf.jsqlparser.parser.CCJSqlParserConstants;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.parser.ParseException;
import net.sf.jsqlparser.parser.Token;
import net.sf.jsqlparser.statement.Statement;
import net.sf.jsqlparser.statement.Statements;
import net.sf.jsqlparser.statement.select.PlainSelect;
import net.sf.jsqlparser.statement.select.Select;
import net.sf.jsqlparser.statement.select.TableFunction;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The auto endpoint's decision for a piece of SQL (a simple Query's text, or a prepared statement's), a pure function of
 * the text: read-only (a replica may run it) only when the parser proves it, else the primary. The text is read with
 * JSqlParser's lexer (comments, quoted identifiers, string and dollar-quoted literals) and cut into statements at its
 * semicolons; transaction control, {@code SET}, {@code COPY} and the like are told by their keywords, and every query
 * ({@code SELECT}, {@code WITH}, {@code VALUES}, {@code TABLE}) is parsed by JSqlParser and its whole tree searched for
 * what writes: a data-modifying statement in a {@code WITH}, a locking clause, {@code SELECT INTO}, a call of a function
 * not known to be read-only. Whatever the parser does not understand goes to the primary.
 */
final class StatementClassifier {
    /** Longer texts are not parsed (the parse runs on the router's event loop): they go to the primary. */
    static final int MAX_TEXT = 64 * 1024;

    private static final Set<String> SESSION_STATE = Set.of("SET", "RESET", "DISCARD", "LISTEN", "UNLISTEN", "PREPARE",
            "DEALLOCATE", "DECLARE", "LOAD");
    private static final Set<String> PRESENTATION = Set.of("APPLICATION_NAME", "EXTRA_FLOAT_DIGITS");
    private static final Set<String> QUERIES = Set.of("SELECT", "WITH", "VALUES", "TABLE", "(");

    private StatementClassifier() {
    }

    static StatementRoute classify(String sql, ReadOnlyFunctions functions) {
        if (sql.length() > MAX_TEXT) {
            return StatementRoute.primary("longer than " + MAX_TEXT + " characters: not parsed");
        }
        List<List<Token>> statements;
        try {
            statements = split(sql);
        } catch (RuntimeException e) {
            return StatementRoute.primary("the lexer cannot read it: " + firstLine(e.getMessage()));
        }
        StatementRoute route = null;
        for (List<Token> s : statements) {
            StatementRoute r = statement(sql, s, functions);
            route = route == null ? r : route.and(r);
        }
        return route == null ? StatementRoute.read("an empty query") : route;
    }

    /** The tokens of each statement, cut at the semicolons between them (comments are not tokens). */
    private static List<List<Token>> split(String sql) {
        List<List<Token>> out = new ArrayList<>();
        if (sql.isBlank()) {
            return out;
        }
        List<Token> current = new ArrayList<>();
        CCJSqlParser lexer = CCJSqlParserUtil.newParser(sql);
        for (Token t = lexer.getNextToken(); t.kind != CCJSqlParserConstants.EOF; t = lexer.getNextToken()) {
            if (t.kind == CCJSqlParserConstants.ST_SEMICOLON) {
                if (!current.isEmpty()) {
                    out.add(current);
                }
                current = new ArrayList<>();
            } else {
                current.add(t);
            }
        }
        if (!current.isEmpty()) {
            out.add(current);
        }
        return out;
    }

    private static String keyword(Token t) {
        return t.image.toUpperCase(Locale.ROOT);
    }

    private static boolean hasKeyword(List<Token> tokens, String word) {
        return tokens.stream().anyMatch(t -> keyword(t).equals(word));
    }

    private static StatementRoute statement(String sql, List<Token> tokens, ReadOnlyFunctions functions) {
        String first = keyword(tokens.get(0));
        if (QUERIES.contains(first)) {
            // the lexer counts a token's offsets from 1
            return query(sql.substring(tokens.get(0).absoluteBegin - 1, tokens.get(tokens.size() - 1).absoluteEnd - 1), functions);
        }
        if (first.equals("PREPARE") && tokens.size() > 1 && keyword(tokens.get(1)).equals("TRANSACTION")) {
            return StatementRoute.primary("PREPARE TRANSACTION is two-phase commit");
        }
        if (first.equals("SET") && presentationOnly(tokens)) {
            return StatementRoute.read("SET " + keyword(tokens.get(tokens.size() > 2 && keyword(tokens.get(1)).equals("SESSION") ? 2 : 1))
                    .toLowerCase(Locale.ROOT) + " only shapes what this client is sent");
        }
        if (SESSION_STATE.contains(first) || first.equals("CREATE") && temporary(tokens)) {
            return StatementRoute.session(first + " keeps state in the session");
        }
        return switch (first) {
            case "BEGIN", "START" -> transactionStart(tokens);
            case "COMMIT", "END", "ROLLBACK", "ABORT" -> hasKeyword(tokens, "PREPARED")
                    ? StatementRoute.primary(first + " PREPARED is two-phase commit") : StatementRoute.read(first + " ends a transaction");
            case "SAVEPOINT", "RELEASE" -> StatementRoute.read(first + " works in a read-only transaction");
            case "SHOW" -> StatementRoute.read("SHOW reads a setting");
            case "EXPLAIN" -> hasKeyword(tokens, "ANALYZE") || hasKeyword(tokens, "ANALYSE")
                    ? StatementRoute.primary("EXPLAIN ANALYZE runs the statement") : StatementRoute.read("EXPLAIN only plans");
            case "COPY" -> copy(tokens);
            default -> StatementRoute.primary(first + " is not a query");
        };
    }

    /** {@code CREATE [LOCAL | GLOBAL] TEMP[ORARY] ...}: a temporary table (or view, sequence) lives in the session. */
    private static boolean temporary(List<Token> tokens) {
        int i = tokens.size() > 1 && Set.of("LOCAL", "GLOBAL").contains(keyword(tokens.get(1))) ? 2 : 1;
        return i < tokens.size() && Set.of("TEMP", "TEMPORARY").contains(keyword(tokens.get(i)));
    }

    /**
     * {@code SET [SESSION] name ...} of a setting that drivers set when they connect (pgjdbc sets both) and that only
     * shapes what the client is sent: it does not keep the session on the primary, or no such client would ever read
     * from a replica.
     */
    private static boolean presentationOnly(List<Token> tokens) {
        int i = tokens.size() > 1 && keyword(tokens.get(1)).equals("SESSION") ? 2 : 1;
        return i + 1 < tokens.size() && PRESENTATION.contains(keyword(tokens.get(i)))
                && (keyword(tokens.get(i + 1)).equals("=") || keyword(tokens.get(i + 1)).equals("TO"));
    }

    /**
     * {@code BEGIN} or {@code START TRANSACTION} with its modes: a replica may take the transaction only when it is
     * declared {@code READ ONLY} (and not {@code SERIALIZABLE}, which a hot standby refuses). A plain {@code BEGIN}
     * may write later: the whole transaction goes to the primary.
     */
    private static StatementRoute transactionStart(List<Token> tokens) {
        int i = 1;
        if (keyword(tokens.get(0)).equals("START")) {
            if (tokens.size() < 2 || !keyword(tokens.get(1)).equals("TRANSACTION")) {
                return StatementRoute.primary("START without TRANSACTION is not understood");
            }
            i = 2;
        } else if (tokens.size() > 1 && (keyword(tokens.get(1)).equals("WORK") || keyword(tokens.get(1)).equals("TRANSACTION"))) {
            i = 2;
        }
        boolean readOnly = false;
        while (i < tokens.size()) {
            String w = keyword(tokens.get(i));
            String next = i + 1 < tokens.size() ? keyword(tokens.get(i + 1)) : "";
            if (w.equals(",")) {
                i++;
            } else if (w.equals("READ") && (next.equals("ONLY") || next.equals("WRITE"))) {
                readOnly = next.equals("ONLY");
                i += 2;
            } else if (w.equals("DEFERRABLE")) {
                i++;
            } else if (w.equals("NOT") && next.equals("DEFERRABLE")) {
                i += 2;
            } else if (w.equals("ISOLATION") && next.equals("LEVEL") && i + 2 < tokens.size()) {
                String level = keyword(tokens.get(i + 2));
                if (level.equals("SERIALIZABLE")) {
                    return StatementRoute.primary("a SERIALIZABLE transaction (a hot standby refuses it)");
                }
                if (!level.equals("READ") && !level.equals("REPEATABLE")) {
                    return StatementRoute.primary("isolation level " + level + " is not understood");
                }
                i += 4; // READ COMMITTED, READ UNCOMMITTED, REPEATABLE READ
            } else {
                return StatementRoute.primary("transaction mode " + w + " is not understood");
            }
        }
        return readOnly ? StatementRoute.read("a READ ONLY transaction")
                : StatementRoute.primary("a transaction not declared READ ONLY may write");
    }

    /** {@code COPY table [(columns)] TO ...} only reads; {@code COPY ... FROM} writes, and {@code COPY (query)} may. */
    private static StatementRoute copy(List<Token> tokens) {
        int i = 1;
        if (i < tokens.size() && keyword(tokens.get(i)).equals("(")) {
            return StatementRoute.primary("COPY of a query is sent to the primary");
        }
        while (i < tokens.size() && !keyword(tokens.get(i)).equals("TO") && !keyword(tokens.get(i)).equals("FROM")) {
            i++;
        }
        return i < tokens.size() && keyword(tokens.get(i)).equals("TO") ? StatementRoute.read("COPY ... TO reads a table")
                : StatementRoute.primary("COPY ... FROM writes");
    }

    private static StatementRoute query(String text, ReadOnlyFunctions functions) {
        Statements parsed;
        try {
            parsed = CCJSqlParserUtil.newParser(text).Statements();
        } catch (ParseException | RuntimeException | StackOverflowError e) {
            return StatementRoute.primary("the parser does not understand it: " + firstLine(e.getMessage()));
        }
        if (parsed.size() != 1 || !(parsed.get(0) instanceof Select select)) {
            return StatementRoute.primary("the parser does not read it as one query");
        }
        for (Object node : nodes(select)) {
            String why = writes(node, functions);
            if (why != null) {
                return StatementRoute.primary(why);
            }
        }
        return StatementRoute.read("a query that only reads");
    }

    /** Why this node of a query's tree may write, or null. */
    private static String writes(Object node, ReadOnlyFunctions functions) {
        if (node instanceof Statement s && !(s instanceof Select)) {
            return "a data-modifying " + s.getClass().getSimpleName().replace("Parenthesed", "").toUpperCase(Locale.ROOT) + " in the query";
        }
        if (node instanceof Select s && s.getForMode() != null) {
            return "a SELECT ... FOR " + s.getForMode().getValue() + " locks rows";
        }
        if (node instanceof PlainSelect p && (p.getIntoTables() != null && !p.getIntoTables().isEmpty() || p.getIntoTempTable() != null)) {
            return "a SELECT INTO creates a table";
        }
        if (node instanceof NextValExpression) {
            return "it takes a sequence's next value";
        }
        if (node instanceof Function f && !(node instanceof TableFunction)) { // a TableFunction wraps the Function it calls
            List<String> name = f.getMultipartName() != null ? f.getMultipartName() : List.of(String.valueOf(f.getName()));
            if (!functions.readOnly(name)) {
                return "it calls " + String.join(".", name) + "(), not known to be read-only";
            }
        }
        if (node instanceof AnalyticExpression a && !functions.readOnly(List.of(a.getName()))) {
            return "it calls " + a.getName() + "(), not known to be read-only";
        }
        return null;
    }

    /**
     * Every node of the tree. Walked through the fields of JSqlParser's classes, not with its visitors: a kind of node
     * a visitor would not descend into (a function call in a window clause, a locking clause in a lateral subquery)
     * is still searched, so a new kind of node cannot hide a write.
     */
    private static List<Object> nodes(Object root) {
        List<Object> out = new ArrayList<>();
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Object> todo = new ArrayDeque<>();
        todo.push(root);
        while (!todo.isEmpty()) {
            Object o = todo.pop();
            if (o instanceof Collection<?> c) {
                c.forEach(e -> push(todo, e));
            } else if (o instanceof Map<?, ?> m) {
                m.values().forEach(e -> push(todo, e));
            } else if (o instanceof Object[] a) {
                for (Object e : a) {
                    push(todo, e);
                }
            } else if (isNode(o.getClass()) && seen.add(o)) {
                out.add(o);
                for (Field f : FIELDS.get(o.getClass())) {
                    try {
                        push(todo, f.get(o));
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException("cannot read " + f + " of the parsed query", e);
                    }
                }
            }
        }
        return out;
    }

    private static void push(Deque<Object> todo, Object o) {
        if (o != null) {
            todo.push(o);
        }
    }

    /** JSqlParser's tree nodes; not its parser's own objects (tokens, JavaCC nodes), which link back to everything. */
    private static boolean isNode(Class<?> c) {
        String n = c.getName();
        return n.startsWith("net.sf.jsqlparser.") && !n.startsWith("net.sf.jsqlparser.parser.") && !c.isEnum();
    }

    private static final ClassValue<List<Field>> FIELDS = new ClassValue<>() {
        @Override
        protected List<Field> computeValue(Class<?> type) {
            List<Field> out = new ArrayList<>();
            for (Class<?> k = type; k != null && isNode(k); k = k.getSuperclass()) {
                for (Field f : k.getDeclaredFields()) {
                    if (!Modifier.isStatic(f.getModifiers()) && !f.getType().isPrimitive() && f.getType() != String.class) {
                        f.setAccessible(true);
                        out.add(f);
                    }
                }
            }
            return List.copyOf(out);
        }
    };

    private static String firstLine(String message) {
        if (message == null) {
            return "no detail";
        }
        String line = message.strip().lines().findFirst().orElse("");
        return line.length() > 120 ? line.substring(0, 120) + "..." : line;
    }
}

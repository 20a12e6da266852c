package io.walferry.cli;

import ch.qos.logback.classic.Level;
import io.walferry.config.CurrentUser;
import io.walferry.failure.WalferryException;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Map;

/** The walferry command line: parses, runs one command, turns every failure into one line and an exit code. */
@Command(name = "walferry", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "WAL archive, backups and replicas for PostgreSQL across regions and accounts.",
        subcommands = {RepoCreateCommand.class, ArchivePushCommand.class, ArchiveGetCommand.class, AgentCommand.class,
                CheckCommand.class, InfoCommand.class, BackupCommand.class, RestoreCommand.class, ReplicaCommand.class, AuxCommand.class, PromoteCommand.class, SwitchoverCommand.class, RouterCommand.class, StatusCommand.class, LogicalCommand.class, ExpireCommand.class, VerifyCommand.class, DemoCommand.class, ArchivePrefetchCommand.class, RestoreCommandLineCommand.class, SelfTestCommand.class, AlertRulesCommand.class, DashboardCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:not found (archive-get) or failed, retry later", "2:configuration or usage error",
                "3:repository unreachable, or an object in it corrupt or missing", "4:PostgreSQL unreachable or refused",
                "5:input refused (WAL of another cluster, different content than stored)",
                "126:archive-get in archive recovery could not deliver a verified file: recovery must stop"})
public final class Main implements Runnable {
    public static final String VERSION = "0.1.0";

    @Mixin
    GlobalOptions options;

    @Spec
    CommandSpec spec;

    private Map<String, String> env = System.getenv();
    private NotAsRoot notAsRoot;
    /** Where commands print: set by {@link #run}, for main and for tests alike. */
    private PrintWriter out;
    private PrintWriter err;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: see walferry --help");
    }

    Context context() {
        return new Context(options, env);
    }

    PrintWriter out() {
        return out;
    }

    /** Refuses the commands that must not run as root, when this process is root's. */
    NotAsRoot notAsRoot() {
        return notAsRoot;
    }

    PrintWriter err() {
        return err;
    }

    public static void main(String[] args) {
        int code = run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true), System.getenv());
        System.exit(code);
    }

    /** Runs one command line; used by main and by tests in-process. */
    public static int run(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env) {
        return run(args, out, err, env, CurrentUser.uid());
    }

    /** As {@link #run(String[], PrintWriter, PrintWriter, Map)}, as if this process ran as user {@code uid}. */
    static int run(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env, int uid) {
        Main main = new Main();
        main.env = env;
        main.notAsRoot = new NotAsRoot(uid);
        main.out = out;
        main.err = err;
        java.util.Optional<java.util.concurrent.Callable<Integer>> hot = HotCommandLine.parse(args, main);
        if (hot.isPresent()) {
            // the prefetcher runs for minutes, with a log of its own (prefetch.log)
            configureLogging(false, hot.get() instanceof ArchivePrefetchCommand);
            int code;
            try {
                code = hot.get().call();
            } catch (Exception e) {
                code = main.failed(e);
            }
            out.flush();
            err.flush();
            return code;
        }
        CommandLine cl = new CommandLine(main);
        versionEverywhere(cl);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionStrategy(parseResult -> {
            configureLogging(main.options.debug, longRunning(parseResult));
            return new CommandLine.RunLast().execute(parseResult);
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("walferry: " + usageError(ex) + " (see " + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help)");
            err.flush();
            return ExitCode.CONFIG.code();
        });
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> main.failed(ex));
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** The agent and logical run: services whose log is their output. */
    private static boolean longRunning(CommandLine.ParseResult parseResult) {
        CommandLine.ParseResult sub = parseResult.subcommand();
        if (sub == null) {
            return false;
        }
        String name = sub.commandSpec().name();
        return name.equals("agent") || name.equals("router") || name.equals("logical") && sub.subcommand() != null && sub.subcommand().commandSpec().name().equals("run");
    }

    /** Every command has -V/--version (mixinStandardHelpOptions) and answers it as the top level does. */
    private static void versionEverywhere(CommandLine cl) {
        for (CommandLine sub : cl.getSubcommands().values()) {
            sub.getCommandSpec().versionProvider(cl.getCommandSpec().versionProvider());
            versionEverywhere(sub);
        }
    }

    /** picocli's message, but a word where a command was expected is an unknown command, not an "unmatched argument". */
    private static String usageError(CommandLine.ParameterException ex) {
        if (ex instanceof CommandLine.UnmatchedArgumentException u && !ex.getCommandLine().getSubcommands().isEmpty()
                && !u.getUnmatched().isEmpty() && !u.getUnmatched().get(0).startsWith("-")) {
            return "unknown command '" + u.getUnmatched().get(0) + "'";
        }
        return ex.getMessage();
    }

    /** One line and an exit code for a command that failed; the stack trace only with --debug. */
    private int failed(Exception ex) {
        if (ex instanceof ExitWith w) {
            err.println("walferry: " + w.failure().oneLine());
            if (options.debug) {
                w.failure().printStackTrace(err);
            }
            err.flush();
            return w.code().code();
        }
        if (ex instanceof WalferryException we) {
            err.println("walferry: " + we.oneLine());
        } else {
            err.println("walferry: internal error: " + ex + (options.debug ? "" : " (run with --debug for details)"));
        }
        if (options.debug) {
            ex.printStackTrace(err);
        }
        err.flush();
        return ex instanceof WalferryException we ? ExitCode.of(we.kind()).code() : ExitCode.FAILED.code();
    }

    private static void configureLogging(boolean debug, boolean longRunning) {
        if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root) {
            root.setLevel(debug ? Level.DEBUG : longRunning ? Level.INFO : Level.WARN);
            // The HTTP client's and the SDK's own debug output carries request headers, session tokens among
            // them: --debug is walferry's, never theirs.
            for (String noisy : new String[]{"org.apache.http", "software.amazon.awssdk"}) {
                if (LoggerFactory.getLogger(noisy) instanceof ch.qos.logback.classic.Logger l) {
                    l.setLevel(Level.INFO);
                }
            }
        }
    }

    /** The version picocli prints for --version. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"walferry " + VERSION};
        }
    }
}

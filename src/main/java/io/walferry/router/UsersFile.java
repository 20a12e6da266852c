package io.walferry.router;

import com.ongres.scram.common.ScramFunctions;
import com.ongres.scram.common.ScramMechanism;
import com.ongres.scram.common.StringPreparation;
import io.walferry.failure.WalferryException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The router's users, PgBouncer's userlist format: one {@code "name" "secret"} a line, the secret either a SCRAM-SHA-256
 * verifier as PostgreSQL stores it ({@code select rolname, rolpassword from pg_authid}) or a password. Lines starting
 * with {@code ;} or {@code #} are comments. The file must be open to no other user; its secrets never reach a log.
 */
final class UsersFile {
    private static final Pattern LINE = Pattern.compile("\"((?:[^\"]|\"\")+)\"\\s+\"((?:[^\"]|\"\")*)\"\\s*");
    private static final int ITERATIONS = 4096;

    private UsersFile() {
    }

    static Map<String, UserSecret> load(Path file) {
        List<String> lines;
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.contains(PosixFilePermission.OTHERS_READ) || perms.contains(PosixFilePermission.OTHERS_WRITE)
                    || perms.contains(PosixFilePermission.GROUP_WRITE)) {
                throw WalferryException.config("router users file " + file + " is open to other users",
                        "run chmod 600 " + file + " (it holds the users' secrets)");
            }
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw WalferryException.config("router users file " + file + " does not exist", "create it or fix router.users_file");
        } catch (IOException e) {
            throw WalferryException.config("cannot read router users file " + file + ": " + e.getMessage(), "check its permissions");
        }
        Map<String, UserSecret> users = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith(";") || line.startsWith("#")) {
                continue;
            }
            Matcher m = LINE.matcher(line);
            String where = file + ":" + (i + 1) + ": ";
            if (!m.matches()) {
                throw WalferryException.config(where + "expected \"user\" \"secret\"", "see docs/router.md for the format");
            }
            String name = m.group(1).replace("\"\"", "\"");
            UserSecret secret = secret(name, m.group(2).replace("\"\"", "\""), where);
            if (users.put(name, secret) != null) {
                throw WalferryException.config(where + "user " + name + " is listed twice", "keep one line per user");
            }
        }
        return Map.copyOf(users);
    }

    private static UserSecret secret(String name, String value, String where) {
        if (value.startsWith("SCRAM-SHA-256$")) {
            return new UserSecret(name, Optional.empty(), UserSecret.Scram.parse(value).orElseThrow(() -> WalferryException.config(
                    where + "user " + name + ": not a SCRAM-SHA-256 verifier as pg_authid holds one", "copy rolpassword from pg_authid as it is")));
        }
        if (value.startsWith("md5") && value.length() == 35) {
            throw WalferryException.config(where + "user " + name + ": an MD5 hash cannot authenticate SCRAM clients",
                    "set the role's password with password_encryption = scram-sha-256 and copy the new verifier");
        }
        if (value.isEmpty()) {
            throw WalferryException.config(where + "user " + name + ": empty password", "give the user a password or a SCRAM verifier");
        }
        byte[] salt = ScramFunctions.salt(16, new SecureRandom());
        byte[] salted = ScramFunctions.saltedPassword(ScramMechanism.SCRAM_SHA_256, StringPreparation.POSTGRESQL_PREPARATION,
                value.toCharArray(), salt, ITERATIONS);
        byte[] clientKey = ScramFunctions.clientKey(ScramMechanism.SCRAM_SHA_256, salted);
        return new UserSecret(name, Optional.of(value), new UserSecret.Scram(ITERATIONS, salt,
                ScramFunctions.storedKey(ScramMechanism.SCRAM_SHA_256, clientKey), ScramFunctions.serverKey(ScramMechanism.SCRAM_SHA_256, salted)));
    }
}

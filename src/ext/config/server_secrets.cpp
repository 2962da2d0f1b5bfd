#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "ext/pg/postgres_headers.h"
#include "ext/config/server_secrets.h"
#include "ext/config/settings.h"
#include "core/error.h"

namespace tthub::secrets {
namespace {

// Plain static storage only: exit() runs static destructors (proc_exit after a FATAL calls exit()).
struct KeySlot {
  bool loaded;
  crypto::Key key;
  char problem[256];  // why it is missing; never contains secret material
};
KeySlot g_current{};
KeySlot g_previous{};

constexpr size_t kMaxSecret = 512;
struct SecretSlot {
  bool loaded;
  char value[kMaxSecret + 1];
  char problem[256];
};
SecretSlot g_client_secret{};

void set_problem(char *dst, size_t n, const std::string &text) {
  snprintf(dst, n, "%s", text.c_str());
}

// Reads a small secret file, refusing group/world access the way Postgres does for
// its TLS key: 0600, or 0640 when the file belongs to root.
bool read_secret_file(const char *path, std::string *out, std::string *why) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *why = std::string("cannot open \"") + path + "\": " + strerror(errno);
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    *why = std::string("\"") + path + "\" is not a regular file";
    return false;
  }
  bool too_open = st.st_uid == 0 ? (st.st_mode & (S_IWGRP | S_IXGRP | S_IRWXO)) != 0
                                 : (st.st_mode & (S_IRWXG | S_IRWXO)) != 0;
  if (too_open) {
    close(fd);
    *why = std::string("\"") + path +
           "\" has group or world access; it must be mode 0600 (or 0640 if owned by root)";
    return false;
  }
  char buf[kMaxSecret + 64];
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  if (n < 0 || static_cast<size_t>(n) == sizeof buf) {
    *why = std::string("\"") + path + "\" is unreadable or too large";
    return false;
  }
  out->assign(buf, static_cast<size_t>(n));
  explicit_bzero(buf, sizeof buf);
  return true;
}

enum class Read { kMissing, kOk, kBroken };

// A secret from the file named by setting. Files only: a value passed in the
// environment stays readable in /proc/<pid>/environ of the postmaster and of every
// process it forks, whatever unsetenv() does, so tthub no longer reads one (systemd's
// LoadCredential= hands a service its secrets as files).
Read read_secret(const char *setting_name, const char *file, const char *retired_env,
                 std::string *out, std::string *why) {
  if (std::getenv(retired_env))
    ereport(WARNING, (errmsg("tthub: the environment variable %s is no longer read", retired_env),
                      errdetail("A secret in the server's environment is readable in /proc by the "
                                "server's user in every server process."),
                      errhint("Put it in a file readable only by the server, set %s, and remove %s "
                              "from the server's environment.", setting_name, retired_env)));
  if (file && file[0]) {
    if (read_secret_file(file, out, why)) return Read::kOk;
    *why = std::string(setting_name) + ": " + *why;
    return Read::kBroken;
  }
  *why = std::string(setting_name) + " is not set";
  return Read::kMissing;
}

void load_key(KeySlot *slot, const char *setting_name, const char *file, const char *env_name,
              bool required) {
  std::string text, why;
  Read r = read_secret(setting_name, file, env_name, &text, &why);
  if (r != Read::kOk) {
    set_problem(slot->problem, sizeof slot->problem, why);
    if (required || r == Read::kBroken) ereport(WARNING, (errmsg("tthub: token encryption key not loaded: %s", why.c_str())));
    return;
  }
  slot->loaded = crypto::parse_hex_key(text, &slot->key, &why);
  explicit_bzero(text.data(), text.size());
  if (!slot->loaded) {
    set_problem(slot->problem, sizeof slot->problem, std::string(setting_name) + ": " + why);
    ereport(WARNING, (errmsg("tthub: token key rejected: %s", slot->problem)));
  }
}

void load_client_secret() {
  std::string text, why;
  if (read_secret("tthub.client_secret_file", settings::client_secret_file,
                  "TTHUB_CLIENT_SECRET", &text, &why) != Read::kOk) {
    set_problem(g_client_secret.problem, sizeof g_client_secret.problem, why);
    return;  // only needed for token exchange and refresh; reported when used
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  if (text.empty() || text.size() > kMaxSecret) {
    set_problem(g_client_secret.problem, sizeof g_client_secret.problem,
                "the client secret is empty or longer than 512 characters");
  } else {
    std::memcpy(g_client_secret.value, text.data(), text.size());
    g_client_secret.value[text.size()] = '\0';
    g_client_secret.loaded = true;
  }
  explicit_bzero(text.data(), text.size());
}

}  // namespace

void load_at_start() {
  load_key(&g_current, "tthub.token_key_file", settings::token_key_file, "TTHUB_TOKEN_KEY", true);
  load_key(&g_previous, "tthub.token_key_previous_file", settings::token_key_previous_file,
           "TTHUB_TOKEN_KEY_PREVIOUS", false);
  load_client_secret();
}

const crypto::Key &current_key() {
  if (!g_current.loaded)
    throw Error(sqlstate::kNotInPrerequisiteState, "tthub token encryption key is not configured",
                g_current.problem,
                "Put 64 hex characters (e.g. from \"openssl rand -hex 32\") in a file readable only "
                "by the server, set tthub.token_key_file to it in postgresql.conf, and restart.");
  return g_current.key;
}

const crypto::Key *previous_key() { return g_previous.loaded ? &g_previous.key : nullptr; }

const char *client_secret() {
  if (!g_client_secret.loaded)
    throw Error(sqlstate::kNotInPrerequisiteState, "tthub TikTok client secret is not configured",
                g_client_secret.problem,
                "Put the secret in a file readable only by the server, set "
                "tthub.client_secret_file to it in postgresql.conf, and restart.");
  return g_client_secret.value;
}

}  // namespace tthub::secrets

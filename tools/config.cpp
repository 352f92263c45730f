// Config loading: one table of settings drives both the environment and the flags.
#include "tools/config.hpp"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>

#include "auth/service_clients.hpp"
#include "auth/trusted_proxies.hpp"

namespace authd::tools {
namespace {

using Setter = std::function<std::optional<std::string>(Config&, const std::string&)>;

std::optional<std::string> parse_int(const std::string& name, const std::string& v, int64_t min,
                                     int64_t max, int64_t& out) {
    int64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size() || n < min || n > max) {
        return name + " must be an integer between " + std::to_string(min) + " and " +
               std::to_string(max) + ", got '" + v + "'";
    }
    out = n;
    return std::nullopt;
}

Setter int_setting(const char* name, int64_t Config::*field, int64_t min, int64_t max) {
    return [=](Config& c, const std::string& v) { return parse_int(name, v, min, max, c.*field); };
}

Setter string_setting(std::string Config::*field) {
    return [=](Config& c, const std::string& v) -> std::optional<std::string> {
        c.*field = v;
        return std::nullopt;
    };
}

std::optional<std::string> parse_listen(Config& c, const std::string& v) {
    size_t colon = v.rfind(':');
    if (colon == std::string::npos || colon == 0)
        return "AUTHD_LISTEN must be host:port, got '" + v + "'";
    int64_t port = 0;
    if (auto err = parse_int("AUTHD_LISTEN port", v.substr(colon + 1), 1, 65535, port)) return err;
    c.listen_host = v.substr(0, colon);
    if (c.listen_host == "localhost") c.listen_host = "127.0.0.1";
    c.listen_port = static_cast<uint16_t>(port);
    return std::nullopt;
}

std::optional<std::string> parse_bool(const std::string& name, const std::string& v, bool& out) {
    if (v == "true" || v == "1" || v == "yes" || v == "on") {
        out = true;
    } else if (v == "false" || v == "0" || v == "no" || v == "off" || v.empty()) {
        out = false;
    } else {
        return name + " must be true or false, got '" + v + "'";
    }
    return std::nullopt;
}

std::vector<std::string> split_origins(const std::string& v) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= v.size()) {
        size_t comma = v.find(',', start);
        std::string item =
            v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        while (!item.empty() && item.front() == ' ') item.erase(item.begin());
        while (!item.empty() && item.back() == ' ') item.pop_back();
        while (!item.empty() && item.back() == '/') item.pop_back();
        if (!item.empty()) out.push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

// Both forms may be given (each flag replaces its variable); every entry is checked now, so
// a bad one stops the start.
std::optional<std::string> check_service_clients(const Config& c) {
    auth::ServiceClients all;
    if (auto e = all.add_spec(c.service_clients)) return e;
    return all.add_spec(c.service_clients_file_text);
}

std::optional<std::string> service_clients_setting(Config& c, const std::string& v) {
    c.service_clients = v;
    return check_service_clients(c);
}

std::optional<std::string> service_clients_file_setting(Config& c, const std::string& path) {
    std::ifstream in(path);
    if (!in) return "AUTHD_SERVICE_CLIENTS_FILE: cannot read '" + path + "'";
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.size() > 1 << 20) return "AUTHD_SERVICE_CLIENTS_FILE: '" + path + "' is too large";
    c.service_clients_file_text = std::move(text);
    return check_service_clients(c);
}

const std::map<std::string, Setter>& settings() {
    static const std::map<std::string, Setter> table = {
        {"AUTHD_LISTEN", parse_listen},
        {"AUTHD_THREADS",
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             int64_t n = 0;
             if (auto e = parse_int("AUTHD_THREADS", v, 1, 256, n)) return e;
             c.threads = static_cast<unsigned>(n);
             return std::nullopt;
         }},
        {"AUTHD_STORE",
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             if (!v.starts_with("file:") && !v.starts_with("redis://")) {
                 return "AUTHD_STORE must be file:DIR or redis://host:port[/db], got '" + v + "'";
             }
             if (v == "file:") return std::string("AUTHD_STORE file: needs a directory");
             c.store = v;
             return std::nullopt;
         }},
        {"AUTHD_SECRET_KEY",
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             if (v.size() < 32)
                 return std::string("AUTHD_SECRET_KEY must be at least 32 characters long");
             c.secret_key = v;
             return std::nullopt;
         }},
        {"AUTHD_SECRET_KEY_FALLBACKS",
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             c.secret_key_fallbacks = split_origins(v);  // comma-separated, spaces trimmed
             for (const std::string& k : c.secret_key_fallbacks) {
                 if (k.size() < 32)
                     return std::string(
                         "each AUTHD_SECRET_KEY_FALLBACKS key must be at least 32 "
                         "characters long");
             }
             return std::nullopt;
         }},
        {"AUTHD_JWT_ALG",
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             if (v != "HS256" && v != "EdDSA")
                 return "AUTHD_JWT_ALG must be HS256 or EdDSA, got '" + v + "'";
             c.jwt_alg = v;
             return std::nullopt;
         }},
        {"AUTHD_JWT_PRIVATE_KEY_FILE", string_setting(&Config::jwt_private_key_file)},
        {"AUTHD_ISSUER", string_setting(&Config::issuer)},
        {"AUTHD_ACCESS_TTL", int_setting("AUTHD_ACCESS_TTL", &Config::access_ttl, 1, 86400 * 30)},
        {"AUTHD_REFRESH_TTL",
         int_setting("AUTHD_REFRESH_TTL", &Config::refresh_ttl, 1, 86400 * 365)},
        {"AUTHD_LINK_TTL", int_setting("AUTHD_LINK_TTL", &Config::link_ttl, 1, 86400 * 365)},
        {"AUTHD_PUBLIC_URL",
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             if (!v.starts_with("http://") && !v.starts_with("https://")) {
                 return "AUTHD_PUBLIC_URL must start with http:// or https://, got '" + v + "'";
             }
             c.public_url = v;
             while (c.public_url.ends_with('/')) c.public_url.pop_back();
             return std::nullopt;
         }},
        {"AUTHD_SMTP_URL",
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             if (!v.empty() && !v.starts_with("smtp://") && !v.starts_with("smtps://")) {
                 return "AUTHD_SMTP_URL must be smtp://host:port or smtps://host:port, got '" + v +
                        "'";
             }
             c.smtp_url = v;
             return std::nullopt;
         }},
        {"AUTHD_EMAIL_FROM", string_setting(&Config::email_from)},
        {"AUTHD_REQUIRE_APPROVAL",
         [](Config& c, const std::string& v) {
             return parse_bool("AUTHD_REQUIRE_APPROVAL", v, c.require_approval);
         }},
        {"AUTHD_CORS_ORIGINS",
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             c.cors_origins = split_origins(v);
             return std::nullopt;
         }},
        {"AUTHD_FORWARD_COOKIE",
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             if (v.size() > 256 || v.find_first_of("=; \t,\"") != std::string::npos)
                 return "AUTHD_FORWARD_COOKIE must be a cookie name, got '" + v + "'";
             c.forward_cookie = v;
             return std::nullopt;
         }},
        {"AUTHD_SERVICE_CLIENTS", service_clients_setting},
        {"AUTHD_SERVICE_CLIENTS_FILE", service_clients_file_setting},
        {"AUTHD_SUPERUSER_USERNAME", string_setting(&Config::superuser_username)},
        {"AUTHD_SUPERUSER_EMAIL", string_setting(&Config::superuser_email)},
        {"AUTHD_SUPERUSER_PASSWORD", string_setting(&Config::superuser_password)},
        {"AUTHD_HEADER_TIMEOUT",
         int_setting("AUTHD_HEADER_TIMEOUT", &Config::header_timeout, 1, 3600)},
        {"AUTHD_IDLE_TIMEOUT", int_setting("AUTHD_IDLE_TIMEOUT", &Config::idle_timeout, 1, 86400)},
        {"AUTHD_LEGACY_SIMPLEJWT_KEY",
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             if (!v.empty() && v.size() < 8)
                 return std::string("AUTHD_LEGACY_SIMPLEJWT_KEY is too short to be a Django key");
             c.legacy_simplejwt_key = v;
             return std::nullopt;
         }},
        {"AUTHD_LIST_MAX", int_setting("AUTHD_LIST_MAX", &Config::list_max, 1, 1000000)},
        {"AUTHD_SEND_TIMEOUT", int_setting("AUTHD_SEND_TIMEOUT", &Config::send_timeout, 1, 3600)},
        {"AUTHD_TRUSTED_PROXIES",
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             std::string error;
             if (!auth::TrustedProxies::parse(v, error)) return error;
             c.trusted_proxies = v;
             return std::nullopt;
         }},
        {"AUTHD_FORWARDED_HEADER",
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             std::string lower;
             for (char ch : v)
                 lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
             if (lower != "x-forwarded-for" && lower != "forwarded")
                 return "AUTHD_FORWARDED_HEADER must be X-Forwarded-For or Forwarded, got '" + v +
                        "'";
             c.forwarded_header = lower;
             return std::nullopt;
         }},
        {"AUTHD_LOGIN_IP_MAX_FAILURES",
         int_setting("AUTHD_LOGIN_IP_MAX_FAILURES", &Config::login_ip_max_failures, 1, 1000000)},
        {"AUTHD_RESET_MAILS_PER_HOUR",
         int_setting("AUTHD_RESET_MAILS_PER_HOUR", &Config::reset_mails_per_hour, 1, 1000000)},
        {"AUTHD_LOGIN_MAX_FAILURES",
         int_setting("AUTHD_LOGIN_MAX_FAILURES", &Config::login_max_failures, 1, 1000000)},
        {"AUTHD_HASH_THREADS", int_setting("AUTHD_HASH_THREADS", &Config::hash_threads, 0, 256)},
        {"AUTHD_HASH_QUEUE", int_setting("AUTHD_HASH_QUEUE", &Config::hash_queue, 1, 1000000)},
        {"AUTHD_ARGON2_OPS", int_setting("AUTHD_ARGON2_OPS", &Config::argon2_ops, 1, 100)},
        {"AUTHD_ARGON2_MEMORY_KIB",
         int_setting("AUTHD_ARGON2_MEMORY_KIB", &Config::argon2_memory_kib, 8, 4 * 1024 * 1024)},
        {"AUTHD_IO",
         [](Config& c, const std::string& v)
             -> std::
                 optional<std::string> {
                     if (v != "auto" && v != "io_uring" && v != "epoll")
                         return "AUTHD_IO must be auto, io_uring or epoll, got '" + v + "'";
                     c.io = v;
                     return std::nullopt;
                 }},
        {"AUTHD_LOG_LEVEL",
         [](Config& c, const std::string& v)
             -> std::
                 optional<std::string> {
                     if (v != "debug" && v != "info" && v != "warn" && v != "error") {
                         return "AUTHD_LOG_LEVEL must be debug, info, warn or error, got '" + v +
                                "'";
                     }
                     c.log_level = v;
                     return std::nullopt;
                 }},
    };
    return table;
}

// --access-ttl → AUTHD_ACCESS_TTL
std::string variable_for_flag(std::string_view flag) {
    std::string name = "AUTHD_";
    for (char ch : flag)
        name += ch == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return name;
}

}  // namespace

std::string usage() {
    std::string u =
        "usage: authd [serve] [--flag value ...]\n"
        "       authd createsuperuser --username U --email E\n"
        "       authd import-django FILE [--dry-run] [--staff-as-agent]\n"
        "       authd keys rotate   (a stopped embedded store, or Redis)\n"
        "Every setting is an environment variable and a flag (AUTHD_ACCESS_TTL is --access-ttl):\n";
    for (const auto& [name, _] : settings()) u += "  " + name + "\n";
    return u;
}

std::optional<std::string> load_config(int argc, char** argv, char** envp, Config& out) {
    for (char** e = envp; e && *e; ++e) {
        std::string kv = *e;
        size_t eq = kv.find('=');
        if (eq == std::string::npos || !kv.starts_with("AUTHD_")) continue;
        auto it = settings().find(kv.substr(0, eq));
        if (it == settings().end()) continue;  // unknown AUTHD_* variables are ignored
        if (auto err = it->second(out, kv.substr(eq + 1))) return err;
    }
    int i = 1;
    if (i < argc && argv[i][0] != '-') {
        out.command = argv[i++];
        if (out.command != "serve" && out.command != "createsuperuser" &&
            out.command != "import-django" && out.command != "keys") {
            return "unknown command '" + out.command + "'\n" + usage();
        }
        if (out.command == "keys") {
            if (i >= argc || std::string_view(argv[i]) != "rotate")
                return "usage: authd keys rotate";
            out.command = "keys rotate";
            ++i;
        }
    }
    for (; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") return usage();
        if (out.command == "import-django") {
            if (arg == "--dry-run" || arg == "--staff-as-agent") {
                (arg == "--dry-run" ? out.import_dry_run : out.import_staff_as_agent) = true;
                continue;
            }
            if (!arg.starts_with("--") && out.import_file.empty()) {
                out.import_file = arg;
                continue;
            }
        }
        if (!arg.starts_with("--")) return "unexpected argument '" + arg + "'\n" + usage();
        std::string flag = arg.substr(2), value;
        size_t eq = flag.find('=');
        if (eq != std::string::npos) {
            value = flag.substr(eq + 1);
            flag = flag.substr(0, eq);
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            return "flag --" + flag + " needs a value";
        }
        if (out.command == "createsuperuser" && (flag == "username" || flag == "email")) {
            (flag == "username" ? out.cli_username : out.cli_email) = value;
            continue;
        }
        auto it = settings().find(variable_for_flag(flag));
        if (it == settings().end()) return "unknown flag --" + flag + "\n" + usage();
        if (auto err = it->second(out, value)) return err;
    }
    if (out.public_url.empty()) {
        out.public_url = "http://" + out.listen_host + ":" + std::to_string(out.listen_port);
    }
    if (out.issuer.empty()) out.issuer = out.public_url;
    return std::nullopt;
}

}  // namespace authd::tools
